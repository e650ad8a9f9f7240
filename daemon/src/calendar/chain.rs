//! Value lists of one field, such as `1,5..9/2`, and the next value they match.

use std::ops::Range;

/// One list element: `start`, `start..stop`, `start/repeat` or `start..stop/repeat`.
#[derive(Clone, Debug)]
pub(crate) struct Component {
    pub start: i64,
    pub stop: Option<i64>,
    /// Step between matches after `start`; 0 matches `start` only.
    pub repeat: i64,
    /// Byte range of the component in the expression, for error messages.
    pub span: Range<usize>,
}

/// The values one field matches: `*`, or a list of components.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Chain {
    Any,
    List(Vec<Component>),
}

/// Two components are equal when they match the same values; where they were written does not count.
impl PartialEq for Component {
    fn eq(&self, other: &Self) -> bool {
        self.sort_key() == other.sort_key()
    }
}

impl Eq for Component {}

impl Component {
    pub fn single(value: i64, span: Range<usize>) -> Self {
        Self {
            start: value,
            stop: None,
            repeat: 0,
            span,
        }
    }

    /// Returns the order systemd sorts components in: by start, stop (none first), then repeat.
    pub fn sort_key(&self) -> (i64, i64, i64) {
        (self.start, self.stop.unwrap_or(-1), self.repeat)
    }

    /// Returns the smallest value at or after `value` that this component matches.
    fn next_at_or_after(&self, value: i64) -> Option<i64> {
        if self.start >= value {
            return Some(self.start);
        }
        if self.repeat <= 0 {
            return None;
        }

        let steps = (value - self.start + self.repeat - 1) / self.repeat;
        let candidate = self.start.checked_add(steps.checked_mul(self.repeat)?)?;
        match self.stop {
            Some(stop) if candidate > stop => None,
            _ => Some(candidate),
        }
    }

    /// Converts days counted from the month end (`~1` is the last day) to days of the month.
    ///
    /// A range flips direction, and a repetition keeps stepping towards the month end.
    fn counted_from_end(&self, days_in_month: i64) -> Self {
        let day_of_month = |n: i64| days_in_month - (n - 1);
        let (start, stop) = match self.stop {
            Some(stop) => (day_of_month(stop), Some(day_of_month(self.start))),
            None => (day_of_month(self.start), None),
        };
        Self {
            start,
            stop,
            repeat: self.repeat,
            span: self.span.clone(),
        }
    }
}

impl Chain {
    pub fn single(value: i64, span: Range<usize>) -> Self {
        Self::List(vec![Component::single(value, span)])
    }

    pub fn values(values: &[i64], span: Range<usize>) -> Self {
        let list = values
            .iter()
            .map(|value| Component::single(*value, span.clone()))
            .collect();
        Self::List(list)
    }

    /// Returns the smallest value at or after `value` that the chain matches.
    pub fn next_at_or_after(&self, value: i64) -> Option<i64> {
        match self {
            Self::Any => Some(value),
            Self::List(list) => list.iter().filter_map(|c| c.next_at_or_after(value)).min(),
        }
    }

    /// Like [`Chain::next_at_or_after`] for a day chain written with `~`.
    pub fn next_day_from_end(&self, day: i64, days_in_month: i64) -> Option<i64> {
        match self {
            Self::Any => Some(day),
            Self::List(list) => list
                .iter()
                .filter_map(|c| c.counted_from_end(days_in_month).next_at_or_after(day))
                .min(),
        }
    }
}
