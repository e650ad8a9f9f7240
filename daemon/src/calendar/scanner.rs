//! A byte cursor over a calendar expression that builds errors naming the token at the cursor.

use super::CalendarError;

/// A reader of an expression from left to right. It only steps over ASCII
/// bytes, so its position is always at a character boundary.
pub(crate) struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    pub fn new(text: &'a str) -> Self {
        Self { text, pos: 0 }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn set_pos(&mut self, pos: usize) {
        self.pos = pos;
    }

    pub fn peek(&self) -> Option<u8> {
        self.peek_at(0)
    }

    pub fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.text.as_bytes().get(self.pos + ahead).copied()
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    /// Returns whether the cursor is at the end or at a space, where a part of the expression ends.
    pub fn at_part_end(&self) -> bool {
        matches!(self.peek(), None | Some(b' '))
    }

    pub fn rest(&self) -> &'a str {
        self.slice(self.pos, self.text.len())
    }

    pub fn slice(&self, from: usize, to: usize) -> &'a str {
        self.text.get(from..to).unwrap_or_default()
    }

    /// Moves past `byte` if it is next.
    pub fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    /// Moves past `prefix` if it is next; `prefix` must be ASCII.
    pub fn eat_str(&mut self, prefix: &str) -> bool {
        let found = self.rest().starts_with(prefix);
        if found {
            self.pos += prefix.len();
        }
        found
    }

    /// Moves past ASCII digits and returns them.
    pub fn take_digits(&mut self) -> &'a str {
        let begin = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.slice(begin, self.pos)
    }

    pub fn skip_spaces(&mut self) {
        while self.eat(b' ') {}
    }

    /// Builds the error for an unexpected token at the cursor.
    pub fn invalid(&self, expected: &'static str) -> CalendarError {
        self.invalid_at(self.pos, expected)
    }

    /// Builds the error for an unexpected token that starts at `offset`.
    pub fn invalid_at(&self, offset: usize, expected: &'static str) -> CalendarError {
        let bytes = self.text.as_bytes();
        if offset >= bytes.len() {
            return CalendarError::UnexpectedEnd { expected };
        }

        // The token runs to the next space, or is the single space found at `offset`.
        let length = bytes[offset..].iter().take_while(|b| **b != b' ').count();
        let end = offset + length.max(1);
        let token = String::from_utf8_lossy(&bytes[offset..end]).into_owned();
        CalendarError::InvalidToken {
            token,
            offset,
            expected,
        }
    }
}
