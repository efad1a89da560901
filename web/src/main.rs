//! The browser entry point: mount the app. Everything else is in the library so the
//! browser tests can reach it.

fn main() {
    buddyscope_web::start();
}
