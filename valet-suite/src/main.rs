//! valet-suite (being written).
fn main() {
    eprintln!("valet-suite: not built yet");
    std::process::exit(2);
}
