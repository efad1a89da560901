//! `buddyscope`: the allocator model from the command line. Glue only: parsing
//! arguments, calling the engine, printing kernel-format text.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::import::snapshot::{decode_file, read_machine, InputFile, SOSREPORT_FILES};
use buddyscope_engine::limits::CLI_FILE_BYTES_MAX;
use buddyscope_engine::machine::{boot, Machine, MachineConfig};
use buddyscope_engine::report::proc;
use buddyscope_engine::session::{Operation, Session};
use buddyscope_engine::types::Kernel;
use buddyscope_engine::workload::{self, RunSummary};
use buddyscope_engine::{scenario, EngineError, Pfn};
use clap::{Parser, Subcommand};

/// Buddyscope: the Linux 6.1 and 6.12 page allocator, modelled and made visible.
#[derive(Parser)]
#[command(name = "buddyscope", version)]
struct Cli {
    /// The kernel whose rules the machine follows, at boot and in every allocation
    /// and free: 6.1 or 6.12 (overrides a scenario's `kernel` and a snapshot's
    /// `Linux version`; a conflict is warned about).
    #[arg(long, global = true, value_parser = Kernel::parse)]
    kernel: Option<Kernel>,
    #[command(subcommand)]
    command: Command,
}

/// `--kernel`, set once in main() before any machine is loaded.
static KERNEL_FLAG: std::sync::OnceLock<Kernel> = std::sync::OnceLock::new();

/// Applies `--kernel` to a machine, warning when it differs from the machine's own,
/// then warns if the machine's kernel is only partly modelled.
fn apply_kernel_flag(config: &mut MachineConfig, label: &str) {
    if let Some(&flag) = KERNEL_FLAG.get() {
        if flag != config.kernel {
            eprintln!(
                "warning: --kernel {flag} overrides the kernel of {label}, {} (a scenario without `kernel` \
                 and a snapshot of another release mean 6.1)",
                config.kernel
            );
        }
        config.kernel = flag;
    }
    if let Some(note) = config.kernel.partial_model_note() {
        eprintln!("warning: {note}");
    }
}

#[derive(Subcommand)]
enum Command {
    /// Boot a one-CPU machine whose only memory is one pfn range (so one zone: DMA
    /// below 16 MiB, DMA32 below 4 GiB, else Normal), run operations on it through
    /// the whole allocator (per-cpu lists, watermarks, fallback stealing) and print
    /// its /proc/buddyinfo line (and, with --trace, every event).
    Zone(ZoneArgs),
    /// List what this version of the model leaves out.
    Limitations,
    /// Read a machine (a snapshot, a dmesg, a /proc/zoneinfo, numactl -H output, a
    /// sosreport directory or its files, plain or gzipped; several files are read
    /// together) and print a scenario file for that machine.
    Import {
        /// The machine's files or a sosreport directory (forms: docs/machine-model.md).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print /proc/zoneinfo of a machine after boot (FILES: a scenario, or a machine's
    /// files as `import` reads them).
    Zoneinfo(MachineArgs),
    /// Print the boot log's zonelist lines of a machine (FILES as for `zoneinfo`).
    Zonelists(MachineArgs),
    /// Print /proc/buddyinfo of a machine after boot (FILES as for `zoneinfo`).
    Buddyinfo(MachineArgs),
    /// Print /proc/pagetypeinfo of a machine after boot (FILES as for `zoneinfo`).
    Pagetypeinfo(MachineArgs),
    /// Read a kernel's kmem tracepoint output (ftrace `trace` file or `perf script`)
    /// and report what it holds: allocations and frees it can replay, lines it
    /// cannot use (counted by reason, with example line numbers).
    ///
    /// Prints a scenario whose workload replays the trace (its report as comments at
    /// the top), runs it, and prints a summary on stderr: operations by kind,
    /// failed allocations, pre-trace frees, unknown lines and the agreement figure
    /// (allocations where the model chose the traced block). Fails when the trace
    /// holds no operation.
    ImportTrace {
        /// The trace text.
        trace: PathBuf,
        /// Place every block at the trace's own pfn (the state follows the traced
        /// machine), asking the model first what it would have picked.
        #[arg(long)]
        follow: bool,
        /// The machine to replay it on (a scenario, or a machine's file or sosreport
        /// directory as `import` reads it); by default one node
        /// laid out like a QEMU guest, large enough for every pfn in the trace, with
        /// as many CPUs as the trace names.
        #[arg(long)]
        machine: Option<PathBuf>,
    },
    /// Run a scenario's workload and print the final state in kernel formats
    /// (/proc/buddyinfo, /proc/pagetypeinfo, /proc/zoneinfo) and, with --trace,
    /// every event. A machine's file or sosreport directory (as `import` reads it)
    /// runs with no workload: the state right after boot.
    Run {
        /// The scenario file, or a machine's file or directory.
        file: PathBuf,
        /// Print every allocator event, call by call.
        #[arg(long)]
        trace: bool,
        /// Stop after this many operations.
        #[arg(long)]
        steps: Option<u64>,
        /// Which files to print, comma-separated: buddyinfo, pagetypeinfo, zoneinfo.
        #[arg(long, default_value = "buddyinfo,pagetypeinfo,zoneinfo")]
        show: String,
    },
    /// Run a scenario's workload as `run` does and print /proc/vmstat: the lines of
    /// the counters the model keeps (docs/allocator.md), in the kernel's order.
    Vmstat(AfterRunArgs),
    /// Run a scenario's workload as `run` does and print debugfs
    /// extfrag/unusable_index and extfrag/extfrag_index, each after a
    /// `# /sys/kernel/debug/extfrag/...` line (or only one with --unusable or
    /// --extfrag).
    Extfrag {
        #[command(flatten)]
        run: AfterRunArgs,
        /// Print only extfrag/unusable_index.
        #[arg(long, conflicts_with = "extfrag")]
        unusable: bool,
        /// Print only extfrag/extfrag_index.
        #[arg(long)]
        extfrag: bool,
    },
    /// Run a scenario (a file, or a library scenario's name) and check each of its
    /// `[[expect]]` claims: prints every claim with `holds` or `FAILS` and what was
    /// found, then every `[[question]]`'s check with its right answer, `proved` or
    /// `REFUSED`; fails when a claim does not hold or an answer is not borne out.
    Check {
        /// The scenario file, or the name of a library scenario.
        file: String,
    },
    /// Run a scenario (a file, or a library scenario's name) twice, as Linux 6.1 and
    /// as 6.12 (same machine, seed and workload; its own `kernel` key is ignored),
    /// and print the boot-time differences zone by zone, the first call whose events
    /// differ with both sides' events (the first differing one marked `>`), and a
    /// summary line.
    DiffKernels {
        /// The scenario file, or the name of a library scenario.
        scenario: String,
        /// Run at most this many workload operations on each side.
        #[arg(long)]
        at_most: Option<u64>,
    },
    /// Compare two runs call by call: two scenarios (`diff A B`) or one scenario and
    /// the same with one setting changed (`diff A --vary watermark_scale_factor=200`;
    /// keys: the [machine.sysctl] sysctls, thp, distances as `10,20;20,10`, kernel).
    /// Prints what diff-kernels prints, the sides named A and B.
    Diff {
        /// Scenario A: a file, or the name of a library scenario.
        a: String,
        /// Scenario B (a file or library name); or give --vary instead.
        b: Option<String>,
        /// B is A with this one setting changed: KEY=VALUE.
        #[arg(long)]
        vary: Option<String>,
        /// Run at most this many workload operations on each side.
        #[arg(long)]
        at_most: Option<u64>,
    },
    /// List the teaching library, or print one of its scenarios as a scenario file.
    Library {
        /// The scenario's name (see the list).
        name: Option<String>,
    },
    /// List the workload generators, or print the statements one expands into.
    Generate {
        /// The generator's name.
        name: Option<String>,
        /// Parameters, `key=value`.
        params: Vec<String>,
        /// The machine it is sized for (a scenario, or a machine's file or directory as
        /// `import` reads it; default machine if absent).
        #[arg(long)]
        machine: Option<PathBuf>,
        /// The seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Print the share-link fragment (`s=...`) for a scenario file.
    Share {
        /// The scenario file.
        file: PathBuf,
        /// The step the link opens at.
        #[arg(long)]
        step: Option<u64>,
    },
    /// Print the scenario a share link (a URL or just its fragment) holds.
    Open {
        /// The link, or its fragment.
        link: String,
    },
    /// Replay a real kernel run: load CASE_DIR/before.txt, run workload.txt with the
    /// gfp masks of header.txt, write allocs.txt, after.txt, LABEL.txt for each
    /// `D LABEL` op and events.txt into --out, in the case's own formats (the Linux
    /// 6.1 module's version 1 or the 6.12 module's version 2).
    Replay {
        /// A case folder (before.txt, header.txt, workload.txt, optionally vm.txt).
        case_dir: PathBuf,
        /// Where to write the results (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(clap::Args)]
struct MachineArgs {
    /// A scenario file, or a machine's files (snapshot, dmesg, /proc/zoneinfo,
    /// numactl -H, ...) or a sosreport directory; which one is detected from the
    /// content and the paths.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Rebuild the zonelists as memory hotplug does, with every CPU online, instead
    /// of as at boot (only the boot CPU online).
    #[arg(long)]
    all_cpus_online: bool,
}

/// The scenario `vmstat` and `extfrag` run, as `run` takes it.
#[derive(clap::Args)]
struct AfterRunArgs {
    /// The scenario file, or a machine's file or directory (the state after boot).
    file: PathBuf,
    /// Stop after this many operations.
    #[arg(long)]
    steps: Option<u64>,
}

#[derive(clap::Args)]
struct ZoneArgs {
    /// First pfn of the memory (decimal or 0x hex). Default: 0x1000 (16 MiB, where
    /// ZONE_DMA32 starts). A range across 16 MiB or 4 GiB makes two zones, as in
    /// the kernel; both lines are printed.
    #[arg(long, value_parser = parse_u64)]
    start_pfn: Option<u64>,
    /// Pages of memory (decimal or 0x hex). Default: 4000.
    #[arg(long, value_parser = parse_u64)]
    pages: Option<u64>,
    /// Start from the freshly booted zone instead of after the warm-up (40
    /// GFP_KERNEL allocations of seeded random orders 0-4, every third freed).
    #[arg(long)]
    fresh: bool,
    /// Operations, separated by spaces or commas: `aN` allocates order N with
    /// GFP_KERNEL, `f` frees the newest live allocation, `fPFN` frees the allocation
    /// whose block starts at PFN (0x hex or decimal).
    #[arg(long, default_value = "")]
    ops: String,
    /// Print every allocator event as it happens.
    #[arg(long)]
    trace: bool,
}

/// A reader that closes the pipe early (`buddyscope run --trace FILE | head`) ends the
/// output: the program stops quietly with the status of one killed by SIGPIPE (141),
/// as `cat` would, instead of reporting a failed print as a crash.
fn stop_quietly_on_a_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let text = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if text.starts_with("failed printing to stdout") && text.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    stop_quietly_on_a_closed_pipe();
    let cli = Cli::parse();
    if let Some(kernel) = cli.kernel {
        let _ = KERNEL_FLAG.set(kernel);
    }
    let result = match cli.command {
        Command::Zone(args) => run_zone(&args),
        Command::Limitations => {
            for line in buddyscope_engine::LIMITATIONS {
                println!("- {line}");
            }
            Ok(())
        }
        Command::Import { files } => run_import(&files),
        // zoneinfo and zonelists are boot-time arithmetic: no zone's pages are built,
        // so they work for any machine Linux 6.1 boots.
        Command::Zoneinfo(args) => {
            print_booted(&args, |m| Ok(proc::zoneinfo(m, &boot::boot_free_pages(m))))
        }
        Command::Zonelists(args) => print_booted(&args, |m| Ok(proc::zonelists_boot_log(m))),
        Command::Buddyinfo(args) => {
            print_booted(&args, |m| Ok(proc::buddyinfo(&boot::boot_free_lists(m)?)))
        }
        Command::Pagetypeinfo(args) => print_booted(&args, |m| {
            Ok(proc::pagetypeinfo(m, &boot::boot_free_lists(m)?))
        }),
        Command::Replay { case_dir, out } => run_replay(&case_dir, &out),
        Command::Share { file, step } => run_share(&file, step),
        Command::Run {
            file,
            trace,
            steps,
            show,
        } => run_scenario(&file, trace, steps, &show),
        Command::Vmstat(args) => print_after_run(&args, |state| {
            vec![(
                "/proc/vmstat",
                buddyscope_engine::report::vmstat::vmstat(state),
            )]
        }),
        Command::Extfrag {
            run,
            unusable,
            extfrag,
        } => print_after_run(&run, |state| {
            use buddyscope_engine::report::extfrag as ef;
            let mut files = Vec::new();
            if !extfrag {
                files.push((
                    "/sys/kernel/debug/extfrag/unusable_index",
                    ef::unusable_index(state),
                ));
            }
            if !unusable {
                files.push((
                    "/sys/kernel/debug/extfrag/extfrag_index",
                    ef::extfrag_index(state),
                ));
            }
            files
        }),
        Command::ImportTrace {
            trace,
            machine,
            follow,
        } => run_import_trace(&trace, machine.as_deref(), follow),
        Command::Library { name } => run_library(name.as_deref()),
        Command::Check { file } => run_check(&file),
        Command::DiffKernels { scenario, at_most } => run_diff_kernels(&scenario, at_most),
        Command::Diff {
            a,
            b,
            vary,
            at_most,
        } => run_diff(&a, b.as_deref(), vary.as_deref(), at_most),
        Command::Generate {
            name,
            params,
            machine,
            seed,
        } => run_generate(name.as_deref(), &params, machine.as_deref(), seed),
        Command::Open { link } => run_open(&link),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("buddyscope: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run_zone(args: &ZoneArgs) -> Result<(), String> {
    let scenario = scenario::one_zone(
        args.start_pfn.unwrap_or(scenario::ONE_ZONE_START_PFN),
        args.pages.unwrap_or(scenario::ONE_ZONE_PAGES),
        !args.fresh,
    );
    let (mut session, _) = start_session(&scenario, None)?;
    for op in args.ops.split([' ', ',']).filter(|op| !op.is_empty()) {
        let operation =
            zone_operation(&session, op).map_err(|e| format!("operation `{op}`: {e}"))?;
        let before = session.calls().len();
        let call = session
            .apply(operation)
            .map_err(|e| format!("operation `{op}`: {e}"))?;
        if args.trace {
            let kernel = session.current().kernel();
            for event in &call.events {
                println!("{op:>8}  {event}{}", source_suffix(event, kernel));
            }
            // The kswapd runs the operation woke, each a call of its own.
            for index in before + 1..session.calls().len() {
                for event in session.call(index).map(|c| c.events).unwrap_or_default() {
                    println!("{:>8}  {event}{}", "kswapd", source_suffix(&event, kernel));
                }
            }
        }
    }
    print!("{}", proc::buddyinfo_running(session.current()));
    Ok(())
}

/// `  [mm/page_alloc.c:2394]`: where the kernel's source takes the event's decision
/// (Debian's source of `kernel`, docs/source-lines.md); empty where that kernel has
/// no such decision.
fn source_suffix(
    event: &buddyscope_engine::Event,
    kernel: buddyscope_engine::types::Kernel,
) -> String {
    event
        .source_line(kernel)
        .map(|line| format!("  [{}]", line.location()))
        .unwrap_or_default()
}

/// Boots a scenario's machine and runs its workload (at most `steps` operations),
/// printing the kernel's warnings about the machine on stderr.
fn start_session(
    scenario: &scenario::Scenario,
    steps: Option<u64>,
) -> Result<(Session, RunSummary), String> {
    let machine = Machine::build(&scenario.machine).map_err(|e| e.to_string())?;
    for warning in &machine.warnings {
        eprintln!("warning: {warning}");
    }
    let allocator = Allocator::from_machine(&machine).map_err(|e| e.to_string())?;
    let mut session = Session::with_kswapd(allocator, scenario.kswapd.unwrap_or_default());
    let statements = workload::parse_workload(scenario.workload.as_deref().unwrap_or(""))
        .map_err(|e| format!("workload {e}"))?;
    let summary =
        workload::run_workload_seeded(&mut session, &statements, steps, scenario.seed.unwrap_or(1))
            .map_err(|e| format!("workload {e}"))?;
    Ok((session, summary))
}

fn read_text(path: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    if size > CLI_FILE_BYTES_MAX {
        return Err(format!(
            "{}: {size} bytes is larger than the {CLI_FILE_BYTES_MAX}-byte limit",
            path.display()
        ));
    }
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// A path as the engine's intake takes it: a directory (a sosreport) becomes the
/// files Buddyscope reads in it, named relative to it; a file is read as bytes (so
/// gzip works), named as given.
fn input_files(path: &Path) -> Result<Vec<InputFile>, String> {
    if !path.is_dir() {
        let bytes = read_bytes(path)?;
        return Ok(vec![InputFile::new(path.display().to_string(), bytes)]);
    }
    let mut relative: Vec<String> = Vec::new();
    for name in SOSREPORT_FILES {
        for candidate in [name.to_string(), format!("{name}.gz")] {
            if path.join(&candidate).is_file() {
                relative.push(candidate);
            }
        }
    }
    let node_dir = path.join("sys/devices/system/node");
    if let Ok(entries) = std::fs::read_dir(&node_dir) {
        let mut nodes: Vec<String> = entries
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| {
                name.strip_prefix("node")
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
            .collect();
        nodes.sort_by_key(|name| name.get(4..).and_then(|n| n.parse::<u32>().ok()));
        for node in nodes {
            for file in ["cpulist", "distance"] {
                let candidate = format!("sys/devices/system/node/{node}/{file}");
                if path.join(&candidate).is_file() {
                    relative.push(candidate);
                }
            }
        }
    }
    if relative.is_empty() {
        return Err(format!(
            "{}: a directory without any file Buddyscope reads; expected a sosreport (or a directory laid out like \
             one): proc/zoneinfo, sos_commands/kernel/dmesg, sys/devices/system/node/node0/distance, ...",
            path.display()
        ));
    }
    let mut files = Vec::new();
    let mut total = 0u64;
    for name in relative {
        let bytes = read_bytes(&path.join(&name))?;
        total = total.saturating_add(bytes.len() as u64);
        if total > CLI_FILE_BYTES_MAX {
            return Err(format!(
                "{}: its files are together larger than the {CLI_FILE_BYTES_MAX}-byte limit",
                path.display()
            ));
        }
        files.push(InputFile::new(name, bytes));
    }
    Ok(files)
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    if size > CLI_FILE_BYTES_MAX {
        return Err(format!(
            "{}: {size} bytes is larger than the {CLI_FILE_BYTES_MAX}-byte limit",
            path.display()
        ));
    }
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The files of every path (see [`input_files`]), and a name for messages.
fn gather(paths: &[PathBuf]) -> Result<(Vec<InputFile>, String), String> {
    let mut files = Vec::new();
    for path in paths {
        files.extend(input_files(path)?);
    }
    let label = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Ok((files, label))
}

/// A machine from a scenario or a machine's files, its notes printed on stderr.
fn load_machine_paths(paths: &[PathBuf]) -> Result<MachineConfig, String> {
    let (files, label) = gather(paths)?;
    // A single file's decoding error already starts with its name.
    let (config, notes) = scenario::load_machine_files(&files).map_err(|e| {
        if e.starts_with(&format!("{label}: ")) {
            e
        } else {
            format!("{label}: {e}")
        }
    })?;
    for note in &notes {
        eprintln!("note: {note}");
    }
    let mut config = config;
    apply_kernel_flag(&mut config, &label);
    Ok(config)
}

fn run_import(paths: &[PathBuf]) -> Result<(), String> {
    let (files, label) = gather(paths)?;
    // A single file's decoding error already starts with its name.
    let intake = read_machine(&files).map_err(|e| {
        let message = e.to_string();
        if message.starts_with(&format!("{label}: ")) {
            message
        } else {
            format!("{label}: {message}")
        }
    })?;
    for file in &intake.files {
        eprintln!("file: {}: {}", file.name, file.what);
    }
    for note in &intake.imported.notes {
        eprintln!("note: {note}");
    }
    let kernel = intake.imported.kernel.clone();
    let mut config = intake.imported.config;
    apply_kernel_flag(&mut config, &label);
    // Refuse to print a scenario the engine could not build.
    Machine::build(&config)
        .map_err(|e| format!("{label}: the imported machine is impossible: {e}"))?;
    // The kernel the snapshot came from, as a comment the scenario keeps for readers.
    match &kernel {
        Some(kernel) => println!(
            "# kernel: Linux {} (dmesg's `Linux version` line; Buddyscope models {})",
            kernel.describe(),
            match config.kernel {
                Kernel::V6_1 => "6.1",
                Kernel::V6_12 => "6.12's boot-time setup and 6.1's allocator",
            }
        ),
        None => println!("# kernel: unknown (no `Linux version` line in the files given)"),
    }
    let scenario = scenario::Scenario {
        machine: config,
        ..scenario::Scenario::default()
    };
    print!("{}", scenario::scenario_to_toml(&scenario));
    Ok(())
}

fn print_booted(
    args: &MachineArgs,
    render: impl Fn(&Machine) -> Result<String, EngineError>,
) -> Result<(), String> {
    let config = load_machine_paths(&args.files)?;
    let label = args
        .files
        .first()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut machine = Machine::build(&config).map_err(|e| format!("{label}: {e}"))?;
    for warning in &machine.warnings {
        eprintln!("warning: {warning}");
    }
    if args.all_cpus_online {
        machine.rebuild_zonelists_all_cpus_online();
    }
    let text = render(&machine).map_err(|e| format!("{label}: {e}"))?;
    print!("{text}");
    Ok(())
}

fn run_scenario(path: &Path, trace: bool, steps: Option<u64>, show: &str) -> Result<(), String> {
    let shows: Vec<&str> = show
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(bad) = shows
        .iter()
        .find(|s| !matches!(**s, "buddyinfo" | "pagetypeinfo" | "zoneinfo"))
    {
        return Err(format!(
            "--show takes buddyinfo, pagetypeinfo and zoneinfo, not `{bad}`"
        ));
    }
    let scenario = read_scenario_or_machine(path)?;
    let (session, summary) =
        start_session(&scenario, steps).map_err(|e| format!("{}: {e}", path.display()))?;
    if trace {
        let kernel = session.current().kernel();
        for (index, call) in session.calls_with_events().enumerate() {
            println!("# call {index}: {:?}", call.operation);
            for event in &call.events {
                println!("{event}{}", source_suffix(event, kernel));
            }
        }
    }
    print_run_summary(&session, &summary);
    let state = session.current();
    for show in shows {
        println!("# /proc/{show}");
        match show {
            "buddyinfo" => print!("{}", proc::buddyinfo_running(state)),
            "pagetypeinfo" => print!("{}", proc::pagetypeinfo_running(state).unwrap_or_default()),
            _ => print!("{}", proc::zoneinfo_running(state).unwrap_or_default()),
        }
    }
    Ok(())
}

/// `vmstat` and `extfrag`: run the workload as `run` does, then print each file
/// `files` gives for the final state after a `# PATH` line.
fn print_after_run(
    args: &AfterRunArgs,
    files: impl Fn(&Allocator) -> Vec<(&'static str, String)>,
) -> Result<(), String> {
    let scenario = read_scenario_or_machine(&args.file)?;
    let (session, summary) = start_session(&scenario, args.steps)
        .map_err(|e| format!("{}: {e}", args.file.display()))?;
    print_run_summary(&session, &summary);
    for (path, text) in files(session.current()) {
        println!("# {path}");
        print!("{text}");
    }
    Ok(())
}

/// The comment lines `run` prints before the files: the operations and kswapd runs.
fn print_run_summary(session: &Session, summary: &RunSummary) {
    println!(
        "# {} operations: {} allocated, {} failed (NULL), {} freed, {} frees skipped",
        summary.operations, summary.allocated, summary.failed, summary.freed, summary.skipped
    );
    let kswapd_runs = session
        .calls()
        .iter()
        .filter(|r| matches!(r.operation, Operation::KswapdWoken { .. }))
        .count();
    if kswapd_runs > 0 {
        println!(
            "# and {kswapd_runs} kswapd runs, each right after the call that woke it ([workload] kswapd = \"{}\")",
            session.kswapd_mode().name()
        );
    }
}

/// A scenario file, or a machine's file or directory as a scenario without a workload.
fn read_scenario_or_machine(path: &Path) -> Result<scenario::Scenario, String> {
    let files = input_files(path)?;
    if let [file] = files.as_slice() {
        let text = decode_file(file).map_err(|why| format!("{}: {why}", path.display()))?;
        if scenario::detect_kind(&text) == scenario::InputKind::Scenario {
            let mut scenario =
                scenario::parse_scenario(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            apply_kernel_flag(&mut scenario.machine, &path.display().to_string());
            return Ok(scenario);
        }
    }
    let machine = load_machine_paths(&[path.to_path_buf()])?;
    Ok(scenario::Scenario {
        machine,
        ..scenario::Scenario::default()
    })
}

fn run_import_trace(path: &Path, machine_file: Option<&Path>, follow: bool) -> Result<(), String> {
    use buddyscope_engine::import::kmemtrace::{self, ReplayMode};
    let size = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    if size > buddyscope_engine::limits::TRACE_BYTES_MAX as u64 {
        return Err(format!(
            "{}: {size} bytes is larger than the trace limit",
            path.display()
        ));
    }
    // Read as bytes, so a gzipped trace (by its magic bytes) is taken as well.
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file = buddyscope_engine::import::snapshot::InputFile::new(file_name(path), bytes);
    let text = buddyscope_engine::import::snapshot::decode_trace_file(&file)
        .map_err(|why| format!("{}: {why}", path.display()))?;
    let imported =
        kmemtrace::import_trace(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut report = kmemtrace::import_report(&file_name(path), &imported);
    if imported.ops.is_empty() {
        for line in &report {
            eprintln!("{line}");
        }
        return Err(format!(
            "{}: the trace holds no allocation or free to replay (no mm_page_alloc, mm_page_free or mm_page_free_batched line, nor one under the names before Linux 3.3, could be used; see the counts above)",
            path.display()
        ));
    }
    let (max_cpu, end_pfn) = kmemtrace::trace_extent(&imported);
    let machine = match machine_file {
        Some(file) => load_machine_paths(&[file.to_path_buf()])?,
        None => kmemtrace::trace_machine(max_cpu, end_pfn),
    };
    let mode = if follow {
        ReplayMode::Follow
    } else {
        ReplayMode::Requests
    };
    let replay = kmemtrace::trace_replay(&imported, mode);
    let mut imported_scenario = scenario::Scenario {
        machine,
        workload: Some(buddyscope_engine::workload::format_statements(
            &replay.statements,
        )),
        title: Some(format!("Replay of {}", file_name(path))),
        ..scenario::Scenario::default()
    };
    let (session, _) = start_session(&imported_scenario, None)
        .map_err(|e| format!("{}: the replay does not run: {e}", path.display()))?;
    let figures = kmemtrace::replay_figures(&replay, &session);
    report.extend(kmemtrace::figures_report(&figures, mode));
    let about = kmemtrace::replay_about(mode);
    imported_scenario.about = Some(format!("{about}\n\n{}\n", report.join("\n")));
    let text = scenario::scenario_to_toml(&imported_scenario);
    let limit = buddyscope_engine::limits::SCENARIO_BYTES_MAX;
    if text.len() > limit {
        report.push(format!(
            "the scenario is {} bytes, more than the {limit} bytes `run` and the page read: the figures above come from this run; to open the replay, import a shorter part of the trace",
            text.len()
        ));
    }
    for line in &report {
        println!("# {line}");
        eprintln!("{line}");
    }
    print!("{text}");
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn run_library(name: Option<&str>) -> Result<(), String> {
    use buddyscope_engine::scenario::library;
    match name {
        None => {
            for entry in library::ENTRIES {
                println!("{:<24} {}", entry.name, entry.title());
            }
            Ok(())
        }
        Some(name) => {
            let entry = library::get(name).ok_or_else(|| {
                let names: Vec<&str> = library::ENTRIES.iter().map(|e| e.name).collect();
                format!("no library scenario `{name}`: try {}", names.join(", "))
            })?;
            print!("{}", entry.text);
            Ok(())
        }
    }
}

fn run_check(file: &str) -> Result<(), String> {
    let text = match buddyscope_engine::scenario::library::get(file) {
        Some(entry) if !Path::new(file).exists() => entry.text.to_string(),
        _ => read_text(Path::new(file))?,
    };
    let scenario = scenario::parse_scenario(&text).map_err(|e| format!("{file}: {e}"))?;
    if scenario.expectations.is_empty() && scenario.questions.is_empty() {
        return Err(format!(
            "{file}: the scenario has no [[expect]] claims and no [[question]]s"
        ));
    }
    let (session, _) = start_session(&scenario, None).map_err(|e| format!("{file}: {e}"))?;
    let claims = buddyscope_engine::view::check_expectations(&session, &scenario.expectations);
    // A question's check with its right answer is proved like a claim.
    let questions = buddyscope_engine::view::check_questions(&session, &scenario.questions);
    let failed = |verdicts: &[buddyscope_engine::view::Verdict]| {
        verdicts.iter().filter(|v| !v.holds).count()
    };
    for verdict in &claims {
        let word = if verdict.holds { "holds" } else { "FAILS" };
        println!("{word}: {}\n  {}", verdict.claim, verdict.found);
    }
    for verdict in &questions {
        let word = if verdict.holds { "proved" } else { "REFUSED" };
        println!("{word}: {}\n  {}", verdict.claim, verdict.found);
    }
    let (claims_failed, questions_failed) = (failed(&claims), failed(&questions));
    println!(
        "# {} claims: {} hold, {claims_failed} fail",
        claims.len(),
        claims.len() - claims_failed
    );
    if !questions.is_empty() {
        println!(
            "# {} questions: {} proved by the run, {questions_failed} refused",
            questions.len(),
            questions.len() - questions_failed
        );
    }
    match (claims_failed, questions_failed) {
        (0, 0) => Ok(()),
        (claims, 0) => Err(format!("{file}: {claims} claims do not hold")),
        (0, questions) => Err(format!(
            "{file}: {questions} questions' answers are not borne out by the run"
        )),
        (claims, questions) => Err(format!(
            "{file}: {claims} claims do not hold and {questions} questions' answers are not borne out by the run"
        )),
    }
}

fn run_diff_kernels(file: &str, at_most: Option<u64>) -> Result<(), String> {
    use buddyscope_engine::report::kernel_diff::KernelDiff;
    if let Some(kernel) = KERNEL_FLAG.get() {
        return Err(format!(
            "--kernel {kernel} does not apply to diff-kernels, which runs the scenario on both 6.1 and 6.12"
        ));
    }
    let text = match buddyscope_engine::scenario::library::get(file) {
        Some(entry) if !Path::new(file).exists() => entry.text.to_string(),
        _ => read_text(Path::new(file))?,
    };
    let scenario = scenario::parse_scenario(&text).map_err(|e| format!("{file}: {e}"))?;
    let diff = KernelDiff::run(&scenario, at_most).map_err(|e| format!("{file}: {e}"))?;
    let view = buddyscope_engine::view::kernel_diff_view(&diff, scenario.machine.kernel);
    let [old, new] = &view.kernels;
    let header = format!(
        "# {file} on {old} and {new}: the same machine, seed {} and workload",
        scenario.seed.unwrap_or(1)
    );
    print_comparison(&diff, &view, &header);
    Ok(())
}

/// A scenario file or a library scenario's name, parsed.
fn scenario_file_or_library(file: &str) -> Result<scenario::Scenario, String> {
    let text = match buddyscope_engine::scenario::library::get(file) {
        Some(entry) if !Path::new(file).exists() => entry.text.to_string(),
        _ => read_text(Path::new(file))?,
    };
    scenario::parse_scenario(&text).map_err(|e| format!("{file}: {e}"))
}

/// `buddyscope diff A B` or `buddyscope diff A --vary KEY=VALUE`: two runs compared
/// call by call (`report::pair`), printed as `diff-kernels` prints its pair.
fn run_diff(
    a_file: &str,
    b_file: Option<&str>,
    vary: Option<&str>,
    at_most: Option<u64>,
) -> Result<(), String> {
    use buddyscope_engine::report::pair::{pair_diff, vary_diff};
    use buddyscope_engine::scenario::vary::Vary;
    if let Some(kernel) = KERNEL_FLAG.get() {
        return Err(format!(
            "--kernel {kernel} does not apply to diff: each side runs on its own scenario's kernel (vary one with --vary kernel=6.12)"
        ));
    }
    let a = scenario_file_or_library(a_file)?;
    let (diff, header) =
        match (b_file, vary) {
            (Some(b_file), Some(vary)) => {
                return Err(format!(
                    "diff takes a second scenario ({b_file}) or --vary ({vary}), not both"
                ))
            }
            (None, None) => return Err(
                "diff needs a second scenario (diff A B) or one change (diff A --vary KEY=VALUE)"
                    .to_string(),
            ),
            (Some(b_file), None) => {
                let b = scenario_file_or_library(b_file)?;
                let diff = pair_diff(&a, &b, at_most).map_err(|e| e.to_string())?;
                (diff, format!("# A = {a_file}, B = {b_file}"))
            }
            (None, Some(text)) => {
                let vary = Vary::parse(text).map_err(|e| format!("--vary: {e}"))?;
                let diff = vary_diff(&a, &vary, at_most).map_err(|e| format!("{a_file}: {e}"))?;
                (
                    diff,
                    format!(
                        "# {a_file} as A, and as B with {vary}: the same seed {} and workload",
                        a.seed.unwrap_or(1)
                    ),
                )
            }
        };
    let view = buddyscope_engine::view::diff_view(&diff, 0);
    print_comparison(&diff, &view, &header);
    Ok(())
}

/// Prints a comparison: warnings (once when both sides give them), the header, the
/// boot rows that differ, the first differing call and the summary.
fn print_comparison(
    diff: &buddyscope_engine::report::kernel_diff::KernelDiff,
    view: &buddyscope_engine::view::KernelDiffView,
    header: &str,
) {
    // A warning both sides give is printed once; one side's names the side.
    let [old_run, new_run] = &diff.runs;
    let [old, new] = &view.kernels;
    for warning in &old_run.machine.warnings {
        if new_run.machine.warnings.contains(warning) {
            eprintln!("warning: {warning}");
        } else {
            eprintln!("warning: {old}: {warning}");
        }
    }
    for warning in &new_run.machine.warnings {
        if !old_run.machine.warnings.contains(warning) {
            eprintln!("warning: {new}: {warning}");
        }
    }
    for note in &view.notes {
        eprintln!("warning: {note}");
    }
    println!("{header}");
    println!("# {}", view.boot_summary);
    let width = view
        .zones
        .iter()
        .flat_map(|z| z.rows.iter())
        .chain(&view.zonelists)
        .map(|r| r.what.len())
        .max()
        .unwrap_or(0);
    for zone in &view.zones {
        println!("{zone}   ({old} | {new})", zone = zone.zone);
        for row in &zone.rows {
            println!(
                "  {:width$}  {} | {}",
                row.what, row.values[0], row.values[1]
            );
        }
    }
    if !view.zonelists.is_empty() {
        println!("Zonelists   ({old} | {new})");
        for row in &view.zonelists {
            println!(
                "  {:width$}  {} | {}",
                row.what, row.values[0], row.values[1]
            );
        }
    }
    match &view.first {
        None => {
            println!("# The runs never differ: every call has the same events on both kernels.")
        }
        Some(first) => {
            println!(
                "# First difference: {}, event {}",
                first.title,
                first.first_event + 1
            );
            for side in &first.sides {
                println!("## {}: {}", side.kernel, side.operation);
                if !side.outcome.is_empty() {
                    println!("   returns {}", side.outcome);
                }
                for event in &side.events {
                    let mark = if event.first_difference { ">" } else { " " };
                    println!(" {mark} {}: {}", event.function, event.text);
                }
                if side.more_events > 0 {
                    println!("   ... and {} more events", side.more_events);
                }
            }
        }
    }
    if let Some(call) = view.first_outcome {
        println!("# Outcomes first differ: call {}", call + 1);
        for returned in view.first_outcome_returns.iter().filter(|r| !r.is_empty()) {
            println!("   {returned}");
        }
    }
    println!("# {}", view.summary);
}

fn run_generate(
    name: Option<&str>,
    params: &[String],
    machine_file: Option<&Path>,
    seed: u64,
) -> Result<(), String> {
    use buddyscope_engine::workload::generate;
    let Some(name) = name else {
        for generator in generate::GENERATORS {
            println!("{:<10} {}", generator.name, generator.summary);
            for param in generator.params {
                println!(
                    "           {}={} (at most {}): {}",
                    param.name, param.default, param.max, param.help
                );
            }
        }
        return Ok(());
    };
    // The statement is read as the workload language reads it, with its checks.
    let line = format!("generate {name} {}", params.join(" "));
    let statements =
        buddyscope_engine::workload::parse_workload(&line).map_err(|e| e.to_string())?;
    let Some((buddyscope_engine::workload::Statement::Generate { name, params }, _)) =
        statements.first()
    else {
        return Err("expected one generate statement".to_string());
    };
    let config = match machine_file {
        Some(file) => load_machine_paths(&[file.to_path_buf()])?,
        None => MachineConfig::default(),
    };
    let machine = Machine::build(&config).map_err(|e| e.to_string())?;
    let allocator =
        buddyscope_engine::alloc::Allocator::from_machine(&machine).map_err(|e| e.to_string())?;
    let facts = generate::MachineFacts::of(&allocator);
    // As the first generate statement of a run with this seed.
    let stream = generate::stream_seed(seed, 1);
    let expanded = generate::expand(name, params, &facts, stream, "g1");
    print!(
        "{}",
        buddyscope_engine::workload::format_statements(&expanded)
    );
    Ok(())
}

fn run_share(path: &Path, step: Option<u64>) -> Result<(), String> {
    let text = read_text(path)?;
    // Refuse to share a file that does not load.
    scenario::parse_scenario(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let link = buddyscope_engine::scenario::share::ShareLink {
        scenario: text,
        step,
    };
    println!("{}", buddyscope_engine::scenario::share::encode(&link));
    Ok(())
}

fn run_open(link: &str) -> Result<(), String> {
    let link = buddyscope_engine::scenario::share::decode(link).map_err(|e| e.to_string())?;
    scenario::parse_scenario(&link.scenario)
        .map_err(|e| format!("the link's scenario does not load: {e}"))?;
    print!("{}", link.scenario);
    if let Some(step) = link.step {
        eprintln!("note: the link opens at step {step}");
    }
    Ok(())
}

fn run_replay(case_dir: &Path, out: &Path) -> Result<(), String> {
    let read = |name: &str| read_text(&case_dir.join(name));
    let vm = read("vm.txt").ok();
    let output = buddyscope_engine::import::modtrace::replay::replay(
        &read("before.txt")?,
        &read("header.txt")?,
        &read("workload.txt")?,
        vm.as_deref(),
    )
    .map_err(|e| format!("{}: {e}", case_dir.display()))?;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let write = |name: &str, text: &str| {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    write("allocs.txt", &output.allocs)?;
    write("after.txt", &output.after)?;
    write("events.txt", &output.events)?;
    for (label, text) in &output.dumps {
        if label.is_empty() || label.contains(['/', '\\']) || label.starts_with('.') {
            return Err(format!("dump label `{label}` cannot be a file name"));
        }
        write(&format!("{label}.txt"), text)?;
    }
    Ok(())
}

/// One `buddyscope zone` operation as a session operation: `aN` allocates order N
/// with GFP_KERNEL, `f` frees the newest live allocation, `fPFN` the live allocation
/// whose block starts at PFN.
fn zone_operation(session: &Session, op: &str) -> Result<Operation, String> {
    if let Some(order) = op.strip_prefix('a') {
        let order: u32 = order
            .parse()
            .map_err(|_| "expected an order after `a`".to_string())?;
        Ok(Operation::alloc_kernel(order))
    } else if op == "f" {
        let index = session
            .newest_live_allocation()
            .ok_or(EngineError::NothingAllocated)
            .map_err(|e| e.to_string())?;
        Ok(Operation::Free { index, cpu: None })
    } else if let Some(pfn) = op.strip_prefix('f') {
        let pfn = Pfn(parse_u64(pfn)?);
        let index = session
            .live_allocation_at(pfn)
            .ok_or(EngineError::NotAllocated { pfn })
            .map_err(|e| e.to_string())?;
        Ok(Operation::Free { index, cpu: None })
    } else {
        Err("unknown operation: use aN, f or fPFN".to_string())
    }
}

fn parse_u64(text: &str) -> Result<u64, String> {
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| format!("`{text}` is not a number"))
}
