fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = tools::cli::main_with(&args, &mut std::io::stdout());
    std::process::exit(code);
}
