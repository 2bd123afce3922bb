//! Instructions per operation, counted by callgrind: deterministic, so they
//! state small differences (a 16-key keyring against one key, the effect of
//! one change in `src/`) that wall-clock medians on a shared VM cannot.
//! User space only: the kernel's share of the `getrandom` nonce is not in
//! them (the `sessions` bench's `floor-os − floor` times it).
//!
//! ```text
//! cargo bench --bench instructions                        # every case, one table
//! cargo bench --bench instructions -- medium              # cases whose name contains `medium`
//! cargo bench --bench instructions -- --save /tmp/before  # keep the counts...
//! cargo bench --bench instructions -- --compare /tmp/before   # ...and print deltas against them
//! cargo bench --bench instructions -- --runs 2000         # operations per case (default 500)
//! ```
//!
//! Each case runs in a child process of this binary under
//! `valgrind --tool=callgrind --toggle-collect=*callgrind_measured_loop*`:
//! set-up and ten warm-up calls are not counted, the loop of N operations
//! is, and the total divided by N is the figure. Without valgrind it prints
//! one line saying how to get it and exits 0 (1 when `CI=true`).
//!
//! To profile one case, run the child under callgrind yourself:
//!
//! ```text
//! valgrind --tool=callgrind --toggle-collect='*callgrind_measured_loop*' \
//!     target/release/deps/instructions-<hash> --child save-medium/ours 2000
//! callgrind_annotate --inclusive=yes callgrind.out.<pid> | head -60
//! ```

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

mod fixtures;
use fixtures::{Fixture, Floor, Large, Medium, Small};

/// The function whose calls callgrind counts (`--toggle-collect`); the name
/// must stay unique in the binary.
#[inline(never)]
fn callgrind_measured_loop(operation: &mut dyn FnMut(), runs: u64) {
    for _ in 0..runs {
        operation();
    }
}

const SIZES: [&str; 3] = ["small", "medium", "large"];

/// Every case: `<group>-<size>/<contender>`, as in the criterion benches.
/// `floor` is issue 14's floor (postcard of the typed map, user-space
/// nonce, XAES-256-GCM, base64url); `aead-only` seals or opens ours' exact
/// plaintext; `load-only` is `load` without the `get`s.
fn case_names() -> Vec<String> {
    const OPS: [&str; 9] = [
        "save-{}/ours",
        "save-{}/floor",
        "save-{}/aead-only",
        "load-{}/ours",
        "load-{}/floor",
        "load-{}/aead-only",
        "load-only-{}/ours",
        "rotation-{}/1-keys",
        "rotation-{}/16-keys",
    ];
    SIZES
        .iter()
        .flat_map(|size| OPS.iter().map(move |op| op.replace("{}", size)))
        .chain(std::iter::once(NONCE.to_owned()))
        .collect()
}

/// The 24-byte `getrandom` of every seal alone: its user-space part (the
/// system call's own work is the kernel's, which callgrind does not see;
/// the `sessions` bench's `nonce/getrandom` times the whole call).
const NONCE: &str = "nonce/getrandom";

/// The operation a case names, set up and ready to run.
fn operation(name: &str) -> Option<Box<dyn FnMut()>> {
    if name == NONCE {
        return Some(Box::new(|| {
            let mut nonce = [0u8; 24];
            getrandom::fill(&mut nonce).expect("OS randomness");
            black_box(nonce);
        }));
    }
    let (group, contender) = name.split_once('/')?;
    let (op, size) = group.rsplit_once('-')?;
    match size {
        "small" => operation_for::<Small>(op, contender),
        "medium" => operation_for::<Medium>(op, contender),
        "large" => operation_for::<Large>(op, contender),
        _ => None,
    }
}

fn operation_for<F: Fixture + 'static>(op: &str, contender: &str) -> Option<Box<dyn FnMut()>> {
    let data = F::build();
    let config = fixtures::ours_config();
    let floor = Floor::user_space();
    let response = fixtures::ours_save(&config, &data);
    let request = fixtures::request_for(&response);
    let plaintext = fixtures::ours_plaintext(&config, &response);
    Some(match (op, contender) {
        ("save", "ours") => Box::new(move || {
            black_box(fixtures::ours_save(black_box(&config), black_box(&data)));
        }),
        ("save", "floor") => Box::new(move || {
            black_box(floor.seal_typed(black_box(&data)));
        }),
        ("save", "aead-only") => Box::new(move || {
            black_box(floor.seal(black_box(&plaintext)));
        }),
        ("load", "ours") => Box::new(move || {
            black_box(fixtures::ours_load::<F>(
                black_box(&config),
                black_box(&request),
            ));
        }),
        ("load", "floor") => {
            let value = floor.seal_typed(&data);
            Box::new(move || {
                black_box(floor.open_typed::<F>(black_box(&value)));
            })
        }
        ("load", "aead-only") => {
            let value = floor.seal(&plaintext);
            Box::new(move || {
                black_box(floor.open(black_box(&value)));
            })
        }
        ("load-only", "ours") => Box::new(move || {
            black_box(sealed_session::load(
                black_box(&config),
                black_box(&request),
            ));
        }),
        ("rotation", "1-keys" | "16-keys") => {
            let keys = if contender == "1-keys" { 1 } else { 16 };
            let (config, request) = fixtures::rotation_setup(keys, &data);
            assert!(sealed_session::load(&config, &request).status().is_loaded());
            Box::new(move || {
                black_box(sealed_session::load(
                    black_box(&config),
                    black_box(&request),
                ));
            })
        }
        _ => return None,
    })
}

/// The child: set up, warm up, then the counted loop.
fn child(name: &str, runs: u64) -> ExitCode {
    let Some(mut operation) = operation(name) else {
        eprintln!("no case named {name:?}; cases: {}", case_names().join(" "));
        return ExitCode::from(2);
    };
    for _ in 0..10 {
        operation();
    }
    callgrind_measured_loop(&mut *operation, runs);
    ExitCode::SUCCESS
}

/// Runs one case under callgrind; instructions per operation.
fn count(exe: &PathBuf, dir: &std::path::Path, name: &str, runs: u64) -> Result<f64, String> {
    let out = dir.join(format!("{}.callgrind", name.replace('/', "_")));
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg("--toggle-collect=*callgrind_measured_loop*")
        .arg(exe)
        .args(["--child", name, &runs.to_string()])
        .output()
        .map_err(|e| format!("valgrind: {e}"))?;
    if !status.status.success() {
        return Err(format!(
            "{name}: valgrind failed\n{}",
            String::from_utf8_lossy(&status.stderr)
        ));
    }
    let text = std::fs::read_to_string(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    // `summary:` (older callgrind) or `totals:`: the first event is Ir.
    let total = text
        .lines()
        .find_map(|line| {
            line.strip_prefix("summary:")
                .or_else(|| line.strip_prefix("totals:"))
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|ir| ir.parse::<f64>().ok())
        .ok_or_else(|| format!("{}: no totals", out.display()))?;
    Ok(total / runs as f64)
}

fn read_saved(path: &str) -> Result<BTreeMap<String, f64>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    Ok(text
        .lines()
        .filter_map(|line| {
            let (name, value) = line.split_once('\t')?;
            Some((name.to_owned(), value.parse().ok()?))
        })
        .collect())
}

/// The contender a case is compared with in the table's ratio column.
fn reference(name: &str) -> Option<String> {
    let (group, contender) = name.split_once('/')?;
    match contender {
        "16-keys" => Some(format!("{group}/1-keys")),
        "ours" if !group.starts_with("load-only-") => Some(format!("{group}/floor")),
        _ => None,
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut filters = Vec::new();
    let (mut save, mut compare, mut runs) = (None, None, 500u64);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--child" => {
                let (Some(name), Some(runs)) = (args.next(), args.next()) else {
                    eprintln!("usage: --child <case> <runs>");
                    return ExitCode::from(2);
                };
                return child(&name, runs.parse().unwrap_or(500));
            }
            "--save" => save = args.next(),
            "--compare" => compare = args.next(),
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(runs),
            // cargo passes `--bench` to every bench binary.
            "--bench" => {}
            _ if arg.starts_with("--") => {}
            _ => filters.push(arg),
        }
    }

    let has_valgrind = Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_valgrind {
        eprintln!(
            "instructions: SKIPPED, valgrind not found (apt-get install -y valgrind, then `cargo bench --bench instructions`)"
        );
        let strict = std::env::var("CI").is_ok_and(|v| v == "true");
        return if strict {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        };
    }

    let exe = std::env::current_exe().expect("own path");
    let dir = std::env::temp_dir().join(format!(
        "sealed-session-instructions-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let before = match compare.as_deref().map(read_saved).transpose() {
        Ok(before) => before,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };

    let names: Vec<String> = case_names()
        .into_iter()
        .filter(|name| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())))
        .collect();
    let mut counts = BTreeMap::new();
    for name in &names {
        match count(&exe, &dir, name, runs) {
            Ok(ir) => {
                eprintln!("{name:<28} {ir:>10.0}");
                counts.insert(name.clone(), ir);
            }
            Err(e) => {
                eprintln!("{e}");
                let _ = std::fs::remove_dir_all(&dir);
                return ExitCode::FAILURE;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);

    println!(
        "\ninstructions per operation (callgrind, user space, {runs} runs per case; ratio: ours ÷ floor, 16 keys ÷ 1 key)\n"
    );
    let mut head = String::from("| case | instructions | ratio |");
    let mut rule = String::from("|---|---:|---:|");
    if before.is_some() {
        head.push_str(" before | after ÷ before |");
        rule.push_str("---:|---:|");
    }
    println!("{head}\n{rule}");
    for name in &names {
        let ir = counts[name];
        let ratio = reference(name)
            .and_then(|r| counts.get(&r))
            .map_or(String::new(), |r| format!("{:.3}x", ir / r));
        let mut line = format!("| {name} | {ir:.0} | {ratio} |");
        if let Some(before) = &before {
            match before.get(name) {
                Some(b) => line.push_str(&format!(" {b:.0} | {:.3} |", ir / b)),
                None => line.push_str(" – | – |"),
            }
        }
        println!("{line}");
    }
    if let Some(path) = save {
        let text: String = counts
            .iter()
            .map(|(name, ir)| format!("{name}\t{ir}\n"))
            .collect();
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
        eprintln!("saved to {path}");
    }
    ExitCode::SUCCESS
}
