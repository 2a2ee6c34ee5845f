// A build script, even an empty one, is what makes cargo resolve `[build-dependencies]`.
fn main() {}
