//! Intake of a machine's files: `read_machine` takes any bytes as any set of files
//! without panicking. The input is split into files at lines `==== NAME` (a name, a
//! path inside a sosreport); without such a line it is one pasted file. A machine
//! read is read again, equal, from the snapshot the files were assembled into, and
//! its scenario text loads back equal.
#![no_main]
use buddyscope_engine::import::snapshot::{read_machine, InputFile, PASTED};
use buddyscope_engine::scenario::{load_machine, machine_to_toml};
use libfuzzer_sys::fuzz_target;

/// The files of a fuzz input: `==== NAME\n` starts a file.
fn files(data: &[u8]) -> Vec<InputFile> {
    const MARK: &[u8] = b"==== ";
    if !data.starts_with(MARK) {
        return vec![InputFile::new(PASTED, data)];
    }
    let mut out: Vec<InputFile> = Vec::new();
    let mut rest = data;
    while let Some(after) = rest.strip_prefix(MARK) {
        let name_end = after.iter().position(|&b| b == b'\n').unwrap_or(after.len());
        let name = String::from_utf8_lossy(&after[..name_end]).into_owned();
        let body = after.get(name_end + 1..).unwrap_or(&[]);
        let next = body
            .windows(MARK.len() + 1)
            .position(|w| w[0] == b'\n' && &w[1..] == MARK)
            .map_or(body.len(), |at| at + 1);
        out.push(InputFile::new(name, &body[..next]));
        rest = &body[next..];
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let files = files(data);
    let Ok(intake) = read_machine(&files) else {
        return;
    };
    let again = read_machine(&[InputFile::new(PASTED, intake.snapshot.as_bytes())])
        .unwrap_or_else(|e| panic!("the assembled snapshot is refused: {e}\n{}", intake.snapshot));
    assert_eq!(again.imported.config, intake.imported.config, "assembled snapshot\n{}", intake.snapshot);
    let toml = machine_to_toml(&intake.imported.config);
    let (config, _) =
        load_machine(&toml).unwrap_or_else(|e| panic!("the import's own scenario is refused: {e}\n{toml}"));
    assert_eq!(config, intake.imported.config, "import round trip\n{toml}");
});
