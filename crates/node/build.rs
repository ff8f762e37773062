//! Generates the tonic client and server of `proto/hetpaxos.proto` with protox
//! (no `protoc`); message types come from `hetpaxos-proto` via `extern_path`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=../../proto/hetpaxos.proto");
    let fds = protox::compile(["hetpaxos.proto"], ["../../proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .extern_path(".hetpaxos.v1", "::hetpaxos_proto::v1")
        .compile_fds(fds)?;
    Ok(())
}
