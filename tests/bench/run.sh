#!/usr/bin/env bash
# Measures hwupd beside fwupd and prints the results as markdown tables.
#
# Usage: tests/bench/run.sh [--out FILE] [--quick]
#
#   --out FILE  also write the report to FILE
#   --quick     fewer runs and no examples, to check that the script works;
#               the numbers are then too rough to record
#
# The script installs what it lacks from Debian's packages (fwupd, hyperfine,
# curl, dbus-daemon, gdbus), builds hwupd in release, starts a private
# dbus-daemon configured as a system bus, and measures in turn:
#
#   - resident memory of each daemon when idle and after one device listing,
#     and of hwupd after refreshing a catalog of 50,000 releases;
#   - the client round trip of a device listing (hwupctl, fwupdmgr);
#   - a one-shot inventory without a daemon (hwupd inventory, fwupdtool);
#   - the time from process start until the bus name is owned;
#   - hwupd inventory over synthetic sysfs trees of 100 to 10,000 devices;
#   - a catalog refresh against sha256sum of the same bytes, and the
#     daemon/examples bench_catalog and bench_staging when they exist.
#
# Parts that need a command hwupctl does not have yet are reported as not
# measured. Every process the script starts is stopped on exit, every wait is
# bounded, and all traffic stays on the private bus and on loopback. Run it as
# root, as fwupd normally runs and as apt-get needs to install packages.
set -euo pipefail
export LC_ALL=C

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
out=
quick=0

# Runs per measurement. Memory runs take IDLE_SECONDS each.
IDLE_SECONDS=10
MEMORY_RUNS=3
CLIENT_RUNS=50
ONESHOT_RUNS=30
STARTUP_RUNS=15
SCALING_RUNS=10
REFRESH_RUNS=5
STAGE_RUNS=5
STAGE_MIB=256
# Alternating rounds in which hwupd and fwupd commands share the runs.
ROUNDS=5
TREE_SIZES=(100 1000 10000)
CATALOG_RELEASES=50000

# Maximum wait for a bus name, and for a daemon to exit after SIGTERM.
NAME_TIMEOUT_SECONDS=30
STOP_TIMEOUT_SECONDS=10

HWUPD_NAME=org.hwupd.Hwupd1
FWUPD_NAME=org.freedesktop.fwupd
FWUPD_DAEMON=/usr/libexec/fwupd/fwupd

log() { printf 'bench: [%4d s] %s\n' "$SECONDS" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

parse_args() {
    while (($#)); do
        case $1 in
        --out)
            [[ $# -ge 2 ]] || die "--out needs a file name"
            out=$2
            shift 2
            ;;
        --quick)
            quick=1
            shift
            ;;
        -h | --help)
            sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
            exit 0
            ;;
        *) die "unknown argument $1; see --help" ;;
        esac
    done
    if ((quick)); then
        IDLE_SECONDS=2 MEMORY_RUNS=1 CLIENT_RUNS=10 ONESHOT_RUNS=5
        STARTUP_RUNS=3 SCALING_RUNS=3 REFRESH_RUNS=2 CATALOG_RELEASES=2000 ROUNDS=2
        STAGE_RUNS=2 STAGE_MIB=16
    fi
}

# ---------------------------------------------------------------- setup

# Installs the Debian packages of the commands that are missing.
install_missing() {
    local -A package_of=(
        [fwupdmgr]=fwupd [fwupdtool]=fwupd [hyperfine]=hyperfine [curl]=curl
        [dbus-daemon]=dbus-daemon [gdbus]=libglib2.0-bin [sha256sum]=coreutils
    )
    local missing=() command
    for command in "${!package_of[@]}"; do
        command -v "$command" >/dev/null || missing+=("${package_of[$command]}")
    done
    [[ -x $FWUPD_DAEMON ]] || missing+=(fwupd)
    command -v cargo >/dev/null || die "cargo is missing; install a Rust toolchain (1.87 or newer)"
    ((${#missing[@]})) || return 0

    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    [[ $(id -u) == 0 ]] || die "installing ${missing[*]} needs root; run as root"
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >&2
}

build() {
    log "building hwupd, hwupctl, make_tree and serve_dir in release"
    (cd "$repo" && cargo build --release -q -p hwupd -p hwupctl)
    (cd "$repo" && cargo build --release -q -p hwupd-tests --example make_tree --example serve_dir)
    bin=${CARGO_TARGET_DIR:-$repo/target}/release
    [[ $bin == /* ]] || bin=$repo/$bin

    # Examples of other parts of hwupd, built only where they exist yet.
    local name
    for name in bench_catalog bench_staging; do
        if [[ -e $repo/daemon/examples/$name.rs ]] && ((!quick)); then
            log "building example $name"
            (cd "$repo" && cargo build --release -q -p hwupd --example "$name")
        fi
    done
}

# Starts dbus-daemon with a system-bus config on a socket in the work folder.
start_bus() {
    local socket=$work/bus/socket
    mkdir -p "$work/bus"
    cat >"$work/bus/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
EOF
    bus_pid=$(dbus-daemon --config-file="$work/bus/bus.conf" --fork --print-pid)
    wait_for_path "$socket" || die "dbus-daemon did not create $socket"
    export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$socket
    unset DBUS_SESSION_BUS_ADDRESS
}

# Sends any HTTP that fwupd or a client might attempt to a closed loopback
# port, so nothing leaves the machine; loopback itself stays direct.
confine_network() {
    local proxy=http://127.0.0.1:9
    export http_proxy=$proxy https_proxy=$proxy HTTP_PROXY=$proxy HTTPS_PROXY=$proxy
    export ALL_PROXY=$proxy all_proxy=$proxy
    export no_proxy=127.0.0.1,localhost,::1 NO_PROXY=127.0.0.1,localhost,::1
}

wait_for_path() {
    local tries=100
    while [[ ! -e $1 ]] && ((tries-- > 0)); do sleep 0.1; done
    [[ -e $1 ]]
}

# Stops every background job of this shell, then the bus, then removes the
# work folder.
cleanup() {
    local pid
    for pid in $(jobs -p); do stop_process "$pid"; done
    # The bus forked away from this shell, so check that the PID is still ours.
    local config=${work:-}/bus/bus.conf
    if [[ -n ${bus_pid:-} ]] && grep -qF "$config" "/proc/$bus_pid/cmdline" 2>/dev/null; then
        kill "$bus_pid" 2>/dev/null || true
    fi
    [[ -n ${work:-} ]] && rm -rf -- "$work"
}

# ---------------------------------------------------------------- processes

# start_process LOG COMMAND...: starts COMMAND in the background with its
# output in LOG and sets last_pid.
start_process() {
    local log=$1
    shift
    "$@" >"$log" 2>&1 &
    last_pid=$!
}

# stop_process PID: SIGTERM, then SIGKILL after STOP_TIMEOUT_SECONDS.
stop_process() {
    local pid=$1 tries=$((STOP_TIMEOUT_SECONDS * 10))
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && ((tries-- > 0)); do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# wait_for_name NAME PID: waits until NAME is owned on the private bus.
wait_for_name() {
    gdbus wait --address "$DBUS_SYSTEM_BUS_ADDRESS" --timeout "$NAME_TIMEOUT_SECONDS" "$1" \
        && kill -0 "$2" 2>/dev/null
}

bus_name() {
    if [[ $1 == hwupd ]]; then echo "$HWUPD_NAME"; else echo "$FWUPD_NAME"; fi
}

# spawn_daemon hwupd|fwupd [CONFIG]: starts the daemon in the background and
# sets daemon_pid. hwupd gets CONFIG, by default the empty config, and a new
# state folder that hwupd creates itself, so no mkdir runs inside a timed start.
spawn_daemon() {
    if [[ $1 == hwupd ]]; then
        state_count=$((state_count + 1))
        start_process "$work/hwupd.log" "$bin/hwupd" --config "${2:-$empty_config}" \
            --state-dir "$work/state-$state_count"
    else
        start_process "$work/fwupd.log" "$FWUPD_DAEMON"
    fi
    daemon_pid=$last_pid
}

# start_daemon hwupd|fwupd [CONFIG]: starts the daemon and waits for its name.
start_daemon() {
    local name
    name=$(bus_name "$1")
    spawn_daemon "$@"
    if ! wait_for_name "$name" "$daemon_pid"; then
        log "$1 did not take $name within $NAME_TIMEOUT_SECONDS s; its log ends:"
        tail -n 20 "$work/$1.log" >&2
        stop_process "$daemon_pid"
        return 1
    fi
}

# list_devices hwupd|fwupd: lists devices through the daemon once and
# prints how many it returned.
list_devices() {
    if [[ $1 == hwupd ]]; then
        "$bin/hwupctl" devices --json | count_devices hwupd
    else
        fwupdmgr get-devices --json | count_devices fwupd
    fi
}

# count_devices hwupd|fwupd: counts the devices in JSON on stdin. Each
# hwupd device has one physical_id and each fwupd device one DeviceId.
count_devices() {
    local key=physical_id
    [[ $1 == fwupd ]] && key=DeviceId
    grep -c "\"$key\"" || true
}

# ---------------------------------------------------------------- numbers

declare -A result=()

# median: prints the median of the numbers on stdin.
median() {
    sort -g | awk '{ v[NR] = $1 }
        END {
            if (NR == 0) exit 1
            if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2
        }'
}

# calc EXPRESSION VALUE...: prints EXPRESSION evaluated by awk with a, b, c
# and d bound to the VALUEs in order, or "-" when a value is not a number
# (not measured) or the result is not finite. Comparisons print 1 or 0.
calc() {
    local expression=$1 names=(a b c d) options=() value
    shift
    for value in "$@"; do
        [[ $value =~ ^-?[0-9]+(\.[0-9]*)?(e[-+]?[0-9]+)?$ ]] || { echo -; return; }
        options+=(-v "${names[${#options[@]} / 2]}=$value")
    done
    value=$(awk "${options[@]}" "BEGIN { print ($expression) }" 2>/dev/null) || value=-
    [[ $value =~ ^-?[0-9] ]] && echo "$value" || echo -
}

fmt() { [[ $2 == - ]] && echo - || LC_ALL=C printf "%.$1f" "$2"; }

# time_runs KEY RUNS COMMAND [PREPARE]: runs COMMAND RUNS times with
# hyperfine, without a shell, and appends each time in milliseconds to
# KEY.times. Returns 1 when a run fails.
time_runs() {
    local key=$1 runs=$2 command=$3 prepare=${4:-}
    local options=(-N --style basic --output pipe --warmup 2 --runs "$runs")
    options+=(--export-json "$work/$key.json")
    [[ -n $prepare ]] && options+=(--prepare "$prepare")
    if ! hyperfine "${options[@]}" "$command" >>"$work/$key.hyperfine" 2>&1; then
        tail -n 5 "$work/$key.hyperfine" >&2
        return 1
    fi
    # hyperfine writes the "times" array one number (in seconds) per line.
    awk '/"times": \[/ { inside = 1; next }
        inside && /\]/ { exit }
        inside { sub(/,$/, ""); print $1 * 1000 }' "$work/$key.json" >>"$work/$key.times"
}

# hyperfine_median KEY RUNS COMMAND [PREPARE]: stores the median time of RUNS
# runs in milliseconds as result[KEY]. Returns 1 when a run fails.
hyperfine_median() {
    local key=$1
    log "timing $3"
    : >"$work/$key.times"
    time_runs "$@" || return 1
    result[$key]=$(median <"$work/$key.times")
}

# compare KEY_A COMMAND_A KEY_B COMMAND_B RUNS: times the two commands in
# ROUNDS alternating rounds of RUNS in all, so that a change in the machine's
# load hits both, and stores each median in milliseconds. Returns 1 when a run
# fails.
compare() {
    local runs=$((($5 + ROUNDS - 1) / ROUNDS)) round
    log "timing $2 against $4, $ROUNDS rounds of $runs runs"
    : >"$work/$1.times"
    : >"$work/$3.times"
    for ((round = 1; round <= ROUNDS; round++)); do
        time_runs "$1" "$runs" "$2" || return 1
        time_runs "$3" "$runs" "$4" || return 1
    done
    result[$1]=$(median <"$work/$1.times")
    result[$3]=$(median <"$work/$3.times")
}

# quote WORD...: joins words into one command line that hyperfine splits back.
quote() {
    local words=() word
    for word in "$@"; do words+=("$(printf '%q' "$word")"); done
    echo "${words[*]}"
}

# ---------------------------------------------------------------- memory

# read_memory PID PREFIX: stores VmRSS, RssAnon and Pss in kB.
read_memory() {
    printf '%s %s %s\n' \
        "$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status")" \
        "$(awk '/^RssAnon:/ { print $2 }' "/proc/$1/status")" \
        "$(awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup")" >>"$work/$2.memory"
}

# store_memory PREFIX: stores the medians of each column in MiB.
store_memory() {
    local names=(rss anon pss) column
    for column in 0 1 2; do
        result[$1.${names[column]}]=$(
            awk -v c=$((column + 1)) '{ print $c / 1024 }' "$work/$1.memory" | median
        )
    done
}

measure_memory() {
    local daemon=$1 run count
    for ((run = 1; run <= MEMORY_RUNS; run++)); do
        log "memory of $daemon, run $run of $MEMORY_RUNS ($IDLE_SECONDS s idle)"
        start_daemon "$daemon" || die "$daemon did not start"
        sleep "$IDLE_SECONDS"
        read_memory "$daemon_pid" "$daemon.idle"
        count=$(list_devices "$daemon") || die "listing devices through $daemon failed"
        ((count > 0)) || die "$daemon listed no devices"
        result[$daemon.devices]=$count
        sleep 1
        read_memory "$daemon_pid" "$daemon.listed"
        stop_process "$daemon_pid"
    done
    store_memory "$daemon.idle"
    store_memory "$daemon.listed"
}

# ---------------------------------------------------------------- timing

# Both daemons run at once, so that the clients' rounds can alternate.
measure_round_trip() {
    local hwupd_pid
    start_daemon hwupd || die "hwupd did not start"
    hwupd_pid=$daemon_pid
    start_daemon fwupd || die "fwupd did not start"

    compare hwupd.round_trip "$(quote "$bin/hwupctl" devices --json)" \
        fwupd.round_trip "fwupdmgr get-devices --json" "$CLIENT_RUNS" \
        || die "hwupctl devices --json or fwupdmgr get-devices --json failed"
    stop_process "$daemon_pid"
    stop_process "$hwupd_pid"
}

# One-shot scans run with no daemon on the bus, because fwupdtool is meant
# to run while the fwupd daemon is stopped.
measure_oneshot() {
    local -a hwupd_command
    local fwupd_count
    hwupd_command=(--config "$empty_config" inventory --json)
    "$bin/hwupd" "${hwupd_command[@]}" >"$work/inventory.json" || die "hwupd inventory failed"
    result[hwupd.oneshot_devices]=$(count_devices hwupd <"$work/inventory.json")

    fwupdtool get-devices --json >"$work/fwupdtool.json" 2>"$work/fwupdtool.log" \
        || die "fwupdtool get-devices failed: $(tail -n 3 "$work/fwupdtool.log")"
    fwupd_count=$(count_devices fwupd <"$work/fwupdtool.json")
    ((fwupd_count > 0)) || die "fwupdtool get-devices listed no devices"
    result[fwupd.oneshot_devices]=$fwupd_count

    compare hwupd.oneshot "$(quote "$bin/hwupd" "${hwupd_command[@]}")" \
        fwupd.oneshot "fwupdtool get-devices --json" "$ONESHOT_RUNS" \
        || die "hwupd inventory or fwupdtool get-devices failed"
}

# time_to_name hwupd|fwupd: prints the milliseconds from starting the
# daemon until its name is owned.
#
# A `gdbus wait` started beforehand exits when NameOwnerChanged arrives. The
# clock is $EPOCHREALTIME, which bash reads without starting a process, so
# the figure includes starting the daemon's process but not starting `date`.
# NOTE: $EPOCHREALTIME is wall-clock time; a clock step during a run would
# skew that run, which the median of many runs absorbs.
time_to_name() {
    local daemon=$1 name start end waiter
    name=$(bus_name "$daemon")
    gdbus wait --address "$DBUS_SYSTEM_BUS_ADDRESS" --timeout "$NAME_TIMEOUT_SECONDS" "$name" &
    waiter=$!
    # Give gdbus time to connect and subscribe before the daemon starts.
    sleep 0.5

    start=$EPOCHREALTIME
    spawn_daemon "$daemon"
    wait "$waiter" || die "$daemon did not take $name within $NAME_TIMEOUT_SECONDS s"
    end=$EPOCHREALTIME

    stop_process "$daemon_pid"
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f\n", (b - a) * 1000 }'
}

# The daemons take turns, so that a change in the machine's load hits both.
measure_startup() {
    local run
    log "time to bus name, $STARTUP_RUNS runs of each daemon"
    : >"$work/hwupd.startup"
    : >"$work/fwupd.startup"
    for ((run = 1; run <= STARTUP_RUNS; run++)); do
        time_to_name hwupd >>"$work/hwupd.startup"
        time_to_name fwupd >>"$work/fwupd.startup"
    done
    result[hwupd.startup]=$(median <"$work/hwupd.startup")
    result[fwupd.startup]=$(median <"$work/fwupd.startup")
}

# ---------------------------------------------------------------- scaling

measure_scaling() {
    local size tree count command
    for size in "${TREE_SIZES[@]}"; do
        tree=$work/tree-$size
        log "writing a sysfs tree of $size devices"
        "$bin/examples/make_tree" "$size" "$tree"
        command=("$bin/hwupd" --config "$empty_config" inventory --json --root "$tree")
        count=$("${command[@]}" | count_devices hwupd)
        result[tree.$size.devices]=$count
        hyperfine_median "tree.$size" "$SCALING_RUNS" "$(quote "${command[@]}")" \
            || die "hwupd inventory --root $tree failed"
        result[tree.$size.per_device]=$(calc 'a * 1000 / b' "${result[tree.$size]}" "$count")
        rm -rf -- "$tree"
    done
}

# ---------------------------------------------------------------- catalogs

# has_subcommand NAME: whether hwupctl has the subcommand NAME.
has_subcommand() {
    "$bin/hwupctl" "$1" --help >/dev/null 2>&1
}

# make_catalog DIR: writes a signed catalog of CATALOG_RELEASES releases,
# all for synthetic devices and sharing one 4 KiB payload, to DIR.
make_catalog() {
    local dir=$1 hwupctl=$bin/hwupctl key=$work/catalog.key
    mkdir -p "$dir"
    "$hwupctl" catalog keygen --secret-key "$key" --public-key "$work/catalog.pub" >/dev/null
    "$hwupctl" catalog new "$dir/catalog.json" --remote-id bench --valid-days 30 >/dev/null
    head -c 4096 /dev/urandom >"$dir/payload.bin"
    "$hwupctl" catalog add "$dir/catalog.json" --payload "$dir/payload.bin" \
        --id bench-template --name "Bench device firmware" --summary "Synthetic release" \
        --instance-id 'PCI\VEN_BE00&DEV_0000' --version 1.0.1 --version-format triplet \
        --severity low --install-method emulated --ring broad --percentage 100 >/dev/null
    replicate_release "$dir/catalog.json"
    "$hwupctl" catalog sign "$dir/catalog.json" --secret-key "$key" >/dev/null
}

# replicate_release FILE: replaces the one release of the catalog FILE, as
# hwupctl writes it, by CATALOG_RELEASES copies with their own id and
# instance ID.
replicate_release() {
    awk -v count="$CATALOG_RELEASES" '
        /^  "releases": \[$/ { print; inside = 1; next }
        inside && /^  \]$/ {
            for (i = 0; i < count; i++) {
                block = template
                gsub(/bench-template/, "bench-" i, block)
                gsub(/DEV_0000/, sprintf("DEV_%04X", i % 65536), block)
                gsub(/VEN_BE00/, sprintf("VEN_%04X", 48640 + int(i / 65536)), block)
                printf "%s%s\n", block, (i < count - 1 ? "," : "")
            }
            inside = 0; print; next
        }
        inside { template = template (template == "" ? "" : "\n") $0; next }
        { print }
    ' "$1" >"$1.new"
    mv -- "$1.new" "$1"
}

# write_remote_config DIR CATALOG_DIR: writes a hwupd config in DIR whose
# remotes.d/ pins the catalog key and points at the local catalog folder.
write_remote_config() {
    mkdir -p "$1/remotes.d"
    : >"$1/hwupd.toml"
    printf 'url = "%s"\npublic_keys = ["%s"]\n' "$2" "$(sed -n 2p "$work/catalog.pub")" \
        >"$1/remotes.d/bench.toml"
}

measure_refresh() {
    if ! has_subcommand refresh; then
        result[refresh.skip]="not measured: hwupctl refresh missing"
        return
    fi
    local catalog_dir=$work/catalog config_dir=$work/catalog-config
    log "writing a signed catalog of $CATALOG_RELEASES releases"
    if ! make_catalog "$catalog_dir" 2>"$work/catalog.log"; then
        result[refresh.skip]="not measured: writing the catalog failed:"
        result[refresh.skip]+=" $(tail -n 1 "$work/catalog.log")"
        return
    fi
    write_remote_config "$config_dir" "$catalog_dir"
    if ! start_daemon hwupd "$config_dir/hwupd.toml"; then
        result[refresh.skip]="not measured: hwupd did not start with remotes.d/bench.toml:"
        result[refresh.skip]+=" $(tail -n 1 "$work/hwupd.log")"
        return
    fi
    if ! refresh_once; then
        stop_process "$daemon_pid"
        return
    fi
    sleep "$IDLE_SECONDS"
    read_memory "$daemon_pid" hwupd.catalog
    store_memory hwupd.catalog
    time_refresh "$catalog_dir"
    stop_process "$daemon_pid"
}

refresh_once() {
    log "first refresh through hwupctl"
    if ! "$bin/hwupctl" refresh >"$work/refresh.log" 2>&1; then
        result[refresh.skip]="not measured: hwupctl refresh failed:"
        result[refresh.skip]+=" $(tail -n 1 "$work/refresh.log")"
        return 1
    fi
}

# Each timed refresh gets a catalog with a higher serial, prepared untimed,
# so the daemon verifies and parses it instead of finding the same bytes.
time_refresh() {
    local catalog=$1/catalog.json sign
    sign=$(quote "$bin/hwupctl" catalog sign "$catalog" --secret-key "$work/catalog.key" \
        --bump-serial)
    hyperfine_median refresh "$REFRESH_RUNS" "$(quote "$bin/hwupctl" refresh)" "$sign" \
        || result[refresh.skip]="not measured: a timed hwupctl refresh failed"
    hyperfine_median refresh.floor "$REFRESH_RUNS" "$(quote sha256sum "$catalog")" || true
    result[refresh.mib]=$(calc 'a / 1048576' "$(stat -c %s "$catalog")")
}

# run_example NAME ARGS...: runs daemon/examples/NAME when it exists and
# keeps its output for the report.
run_example() {
    local name=$1
    shift
    if [[ ! -e $repo/daemon/examples/$name.rs ]]; then
        result[example.$name]="not run: daemon/examples/$name.rs missing"
        return
    fi
    if ((quick)); then
        result[example.$name]="not run: --quick"
        return
    fi
    log "running example $name"
    if "$bin/examples/$name" "$@" >"$work/$name.out" 2>&1; then
        result[example.$name]=$(cat "$work/$name.out")
    else
        result[example.$name]="failed: $(tail -n 3 "$work/$name.out")"
    fi
}

# GUID of the emulated device that the staging catalog offers an update for.
STAGE_GUID=5d3c3a2e-6f1b-5c8e-9a47-0b6d2e1f4c90

# measure_staging: times `hwupctl stage` of a STAGE_MIB MiB payload through
# the daemon against `curl | sha256sum` of the same URL, both served by
# serve_dir on loopback, in alternating rounds. Each stage run is prepared by
# `hwupctl unstage`, so every run downloads and hashes the whole payload.
measure_staging() {
    if ! has_subcommand stage; then
        result[stage.skip]="not measured: hwupctl stage missing"
        return
    fi
    local www=$work/stage-www config_dir=$work/stage-config port url
    log "writing a $STAGE_MIB MiB payload and a signed catalog for it"
    if ! make_stage_catalog "$www" 2>"$work/stage-catalog.log"; then
        result[stage.skip]="not measured: writing the catalog failed:"
        result[stage.skip]+=" $(tail -n 1 "$work/stage-catalog.log")"
        return
    fi
    start_process "$work/serve_dir.log" "$bin/examples/serve_dir" "$www" "$work/stage.port"
    wait_for_path "$work/stage.port" || die "serve_dir did not start: $(cat "$work/serve_dir.log")"
    port=$(cat "$work/stage.port")
    url=http://127.0.0.1:$port
    write_stage_config "$config_dir" "$url/catalog.json"
    if ! start_daemon hwupd "$config_dir/hwupd.toml" \
        || ! "$bin/hwupctl" refresh >"$work/stage-refresh.log" 2>&1; then
        result[stage.skip]="not measured: hwupd did not start or refresh:"
        result[stage.skip]+=" $(tail -n 1 "$work/stage-refresh.log" "$work/hwupd.log" | tail -n 1)"
        return
    fi
    time_staging "$url/payload.bin"
    stop_process "$daemon_pid"
    run_example bench_staging --size-mib "$STAGE_MIB"
}

# make_stage_catalog DIR: writes payload.bin and a signed catalog.json with one
# release of it for the emulated device STAGE_GUID.
make_stage_catalog() {
    local dir=$1 hwupctl=$bin/hwupctl key=$work/stage.key
    mkdir -p "$dir"
    head -c $((STAGE_MIB * 1048576)) /dev/urandom >"$dir/payload.bin"
    "$hwupctl" catalog keygen --secret-key "$key" --public-key "$work/stage.pub" >/dev/null
    "$hwupctl" catalog new "$dir/catalog.json" --remote-id stage --valid-days 30 >/dev/null
    "$hwupctl" catalog add "$dir/catalog.json" --payload "$dir/payload.bin" \
        --id bench-stage --name "Bench device firmware" --summary "Synthetic release" \
        --guid "$STAGE_GUID" --version 2.0 --version-format pair --severity low \
        --install-method emulated >/dev/null
    "$hwupctl" catalog sign "$dir/catalog.json" --secret-key "$key" >/dev/null
}

# write_stage_config DIR CATALOG_URL: a config with the emulated device and a
# remote for CATALOG_URL.
write_stage_config() {
    mkdir -p "$1/remotes.d"
    printf '[[emulated.devices]]\nid = "bench"\nname = "Bench device"\nversion = "1.0"\nversion_format = "pair"\nguid = "%s"\n' \
        "$STAGE_GUID" >"$1/hwupd.toml"
    printf 'url = "%s"\npublic_keys = ["%s"]\n' "$2" "$(sed -n 2p "$work/stage.pub")" \
        >"$1/remotes.d/stage.toml"
}

time_staging() {
    local payload_url=$1 round runs=$(((STAGE_RUNS + ROUNDS - 1) / ROUNDS))
    local stage unstage floor
    stage=$(quote "$bin/hwupctl" stage bench-stage)
    unstage=$(quote "$bin/hwupctl" unstage bench-stage)
    floor=$(quote sh -c "curl -sS $payload_url | sha256sum")
    log "timing hwupctl stage against curl | sha256sum, $ROUNDS rounds of $runs runs"
    : >"$work/stage.times"
    : >"$work/stage.floor.times"
    for ((round = 1; round <= ROUNDS; round++)); do
        if ! time_runs stage "$runs" "$stage" "$unstage"; then
            result[stage.skip]="not measured: a timed hwupctl stage failed"
            return
        fi
        time_runs stage.floor "$runs" "$floor" || return
    done
    result[stage]=$(median <"$work/stage.times")
    result[stage.floor]=$(median <"$work/stage.floor.times")
    result[stage.rate]=$(calc 'a * 1000 / b' "$STAGE_MIB" "${result[stage]}")
    result[stage.floor_rate]=$(calc 'a * 1000 / b' "$STAGE_MIB" "${result[stage.floor]}")
}

# ---------------------------------------------------------------- report

machine_lines() {
    local cpu memory
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    memory=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
    echo "- machine: $(nproc) CPUs ($cpu), $memory, Linux $(uname -r)"
    echo "- load average at start and end: $load_start / $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- fwupd $(dpkg-query -W -f '${Version}' fwupd 2>/dev/null || echo unknown)," \
        "hyperfine $(hyperfine --version | cut -d' ' -f2)"
    echo "- hwupd commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- command: \`tests/bench/run.sh$([[ $quick == 1 ]] && echo ' --quick')\`"
}

# row LABEL DIGITS HWUPD FWUPD: a table row with the ratio hwupd/fwupd.
row() {
    echo "| $1 | $(fmt "$2" "$3") | $(fmt "$2" "$4") | $(fmt 2 "$(calc 'a / b' "$3" "$4")") |"
}

side_by_side() {
    echo "## Side by side with fwupd"
    echo
    echo "Medians. Memory in MiB of $MEMORY_RUNS daemon starts, read $IDLE_SECONDS s after the bus"
    echo "name is owned (idle) and 1 s after one device listing (listed)."
    echo
    echo "| measure | hwupd | fwupd | hwupd/fwupd |"
    echo "| --- | ---: | ---: | ---: |"
    local state
    for state in idle listed; do
        row "VmRSS, $state" 1 "${result[hwupd.$state.rss]}" "${result[fwupd.$state.rss]}"
        row "RssAnon, $state" 1 "${result[hwupd.$state.anon]}" "${result[fwupd.$state.anon]}"
        row "Pss, $state" 1 "${result[hwupd.$state.pss]}" "${result[fwupd.$state.pss]}"
    done
    catalog_memory_row
    row "device listing round trip, ms ($CLIENT_RUNS runs)" 2 \
        "${result[hwupd.round_trip]}" "${result[fwupd.round_trip]}"
    row "one-shot inventory, ms ($ONESHOT_RUNS runs)" 1 \
        "${result[hwupd.oneshot]}" "${result[fwupd.oneshot]}"
    row "start to bus name owned, ms ($STARTUP_RUNS runs)" 1 \
        "${result[hwupd.startup]}" "${result[fwupd.startup]}"
    echo
    echo "Devices listed: ${result[hwupd.devices]} by hwupd, ${result[fwupd.devices]} by fwupd"
    echo "(one-shot: ${result[hwupd.oneshot_devices]} and ${result[fwupd.oneshot_devices]})."
    echo "Clients: \`hwupctl devices --json\` and \`fwupdmgr get-devices --json\`. One-shot:"
    echo "\`hwupd inventory --json\` and \`fwupdtool get-devices --json\`, with no daemon running."
    echo "Each pair of commands ran in $ROUNDS alternating rounds and the daemons started in"
    echo "turns, so that load from other processes hits both sides."
}

catalog_memory_row() {
    local label="VmRSS 10 s after refreshing $CATALOG_RELEASES releases"
    if [[ -n ${result[hwupd.catalog.rss]:-} ]]; then
        echo "| $label | $(fmt 1 "${result[hwupd.catalog.rss]}") | - | - |"
    else
        echo "| $label | ${result[refresh.skip]} | - | - |"
    fi
}

scaling() {
    echo "## Inventory scaling"
    echo
    echo "\`hwupd inventory --json --root TREE\` over trees written by \`make_tree\`, median of"
    echo "$SCALING_RUNS runs. The device count includes one kernel-module device per bound module."
    echo
    echo "| devices | median, ms | per device, µs |"
    echo "| ---: | ---: | ---: |"
    local size
    for size in "${TREE_SIZES[@]}"; do
        echo "| ${result[tree.$size.devices]} | $(fmt 1 "${result[tree.$size]}") |" \
            "$(fmt 1 "${result[tree.$size.per_device]}") |"
    done
    echo
    echo "Marginal cost per added device: $(fmt 1 "$(marginal 0 1)") µs from the first to the"
    echo "second size, $(fmt 1 "$(marginal 1 2)") µs from the second to the third."
}

# marginal I J: microseconds per added device between TREE_SIZES[I] and [J].
marginal() {
    local a=${TREE_SIZES[$1]} b=${TREE_SIZES[$2]}
    calc '(a - b) * 1000 / (c - d)' "${result[tree.$b]}" "${result[tree.$a]}" \
        "${result[tree.$b.devices]}" "${result[tree.$a.devices]}"
}

floors() {
    echo "## Refresh and staging against their floors"
    echo
    if [[ -n ${result[refresh]:-} ]]; then
        echo "Catalog of $CATALOG_RELEASES releases ($(fmt 1 "${result[refresh.mib]}") MiB)," \
            "median of $REFRESH_RUNS runs,"
        echo "each of a newly signed serial: \`hwupctl refresh\` took" \
            "$(fmt 1 "${result[refresh]}") ms,"
        echo "and \`sha256sum\` of the same file $(fmt 1 "${result[refresh.floor]}") ms."
    else
        echo "Catalog refresh: ${result[refresh.skip]}."
    fi
    echo
    if [[ -n ${result[stage]:-} ]]; then
        echo "Staging a $STAGE_MIB MiB payload from a loopback HTTP server (\`serve_dir\`),"
        echo "median of $STAGE_RUNS runs each, in alternating rounds: \`hwupctl stage\` took"
        echo "$(fmt 1 "${result[stage]}") ms ($(fmt 1 "${result[stage.rate]}") MiB/s), and"
        echo "\`curl | sha256sum\` of the same URL $(fmt 1 "${result[stage.floor]}") ms" \
            "($(fmt 1 "${result[stage.floor_rate]}") MiB/s)."
    else
        echo "Staging through the daemon: ${result[stage.skip]}."
    fi
    local name
    for name in bench_catalog bench_staging; do
        echo
        echo "Example \`$name\`:"
        echo
        echo '```'
        echo "${result[example.$name]}"
        echo '```'
    done
}

# verdict EXPRESSION VALUE...: met, not met, or not measured when a value is
# missing.
verdict() {
    case $(calc "$@") in
    -) echo "not measured" ;;
    1) echo "met" ;;
    *) echo "not met" ;;
    esac
}

# budget TEXT SHOWN CONDITION VALUE...: a row of the budget table.
budget() {
    local text=$1 shown=$2
    shift 2
    echo "| $text | $shown | $(verdict "$@") |"
}

budgets() {
    local idle_rss=${result[hwupd.idle.rss]} fw_idle_rss=${result[fwupd.idle.rss]}
    local trip=${result[hwupd.round_trip]} fw_trip=${result[fwupd.round_trip]}
    local shot=${result[hwupd.oneshot]} fw_shot=${result[fwupd.oneshot]}
    local refresh_ms=${result[refresh]:--} floor=${result[refresh.floor]:--}
    local rate=${result[stage.rate]:--} floor_rate=${result[stage.floor_rate]:--}
    local first second
    first=$(marginal 0 1)
    second=$(marginal 1 2)
    echo "## Budgets and verdicts"
    echo
    echo "| budget | measured | verdict |"
    echo "| --- | --- | --- |"
    budget "idle VmRSS under 6 MiB" "$(fmt 1 "$idle_rss") MiB" 'a < 6' "$idle_rss"
    budget "idle VmRSS at most 1/5 of fwupd's" \
        "$(fmt 2 "$(calc 'a / b' "$idle_rss" "$fw_idle_rss")")" \
        'a * 5 <= b' "$idle_rss" "$fw_idle_rss"
    budget "listing round trip at most 1/5 of fwupdmgr's" \
        "$(fmt 2 "$(calc 'a / b' "$trip" "$fw_trip")")" 'a * 5 <= b' "$trip" "$fw_trip"
    budget "one-shot inventory at most 1/3 of fwupdtool's" \
        "$(fmt 2 "$(calc 'a / b' "$shot" "$fw_shot")")" 'a * 3 <= b' "$shot" "$fw_shot"
    budget "inventory linear: marginal cost per device grows at most 1.5x" \
        "$(fmt 2 "$(calc 'a / b' "$second" "$first")")" 'a <= 1.5 * b' "$second" "$first"
    budget "catalog refresh within 3x sha256sum" \
        "$(fmt 2 "$(calc 'a / b' "$refresh_ms" "$floor")")" 'a <= 3 * b' "$refresh_ms" "$floor"
    budget "staging within 1.25x curl \\| sha256sum" \
        "$(fmt 2 "$(calc 'a / b' "$floor_rate" "$rate")")" 'a <= 1.25 * b' "$floor_rate" "$rate"
}

report() {
    machine_lines
    echo
    side_by_side
    echo
    scaling
    echo
    floors
    echo
    budgets
}

# ---------------------------------------------------------------- main

main() {
    [[ -n ${EPOCHREALTIME:-} ]] || die "bash 5 or newer is needed for \$EPOCHREALTIME"
    parse_args "$@"
    install_missing
    build
    work=$(mktemp -d "${TMPDIR:-/tmp}/hwupd-bench.XXXXXX")
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    load_start=$(cut -d' ' -f1-3 /proc/loadavg)
    empty_config=$work/config/hwupd.toml
    state_count=0
    mkdir -p "$work/config"
    : >"$empty_config"
    confine_network
    start_bus

    measure_memory hwupd
    measure_memory fwupd
    measure_round_trip
    measure_oneshot
    measure_startup
    measure_scaling
    measure_refresh
    run_example bench_catalog
    measure_staging

    if [[ -n $out ]]; then
        report | tee "$out"
    else
        report
    fi
}

main "$@"
