//! The published Apollo Router with the storefront's signed-identity plugin compiled in.
mod signed_identity;

fn main() {
    if let Err(error) = apollo_router::main() {
        eprintln!("{error}");
        std::process::exit(1);
    }
}
