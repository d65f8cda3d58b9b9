//! Build script: makes every artifact (CLI, tests, examples, libcellsdf.so) find libtorch at
//! run time without LD_LIBRARY_PATH, and gives the shared library its SONAME.

use std::env;

/// Major version of the C ABI; the SONAME is `libcellsdf.so.<major>`.
const ABI_MAJOR: u32 = 0;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // torch-sys (links = "tch") exports the directory holding libtorch_cpu.so, libc10.so.
    match env::var("DEP_TCH_LIBTORCH_LIB") {
        Ok(dir) if !dir.is_empty() => {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
            println!("cargo:rustc-env=CELLSDF_LIBTORCH_LIB={dir}");
            // tch only links libtorch_cpu; without an explicit, non-as-needed link of
            // libtorch_cuda the CUDA backend is never registered and Cuda::is_available() is
            // false even on a GPU machine. The wheel ships it; it loads fine without a GPU.
            let cuda = std::path::Path::new(&dir).join("libtorch_cuda.so");
            if cuda.exists() {
                println!(
                    "cargo:rustc-link-arg=-Wl,--no-as-needed,{},--as-needed",
                    cuda.display()
                );
            }
        }
        _ => {
            // torch-sys found libtorch some other way (LIBTORCH with its own lib dir).
            if let Ok(root) = env::var("LIBTORCH") {
                let dir = format!("{root}/lib");
                println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
                println!("cargo:rustc-env=CELLSDF_LIBTORCH_LIB={dir}");
            } else {
                println!("cargo:rustc-env=CELLSDF_LIBTORCH_LIB=");
            }
        }
    }
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libcellsdf.so.{ABI_MAJOR}");
        // Relocatable installs: libtorch beside libcellsdf.so (Fiji.app/lib/linux64), or the
        // torch wheel next to the cellsdf Python package (site-packages/torch/lib).
        println!("cargo:rustc-cdylib-link-arg=-Wl,-rpath,$ORIGIN:$ORIGIN/../torch/lib");
        // Export the C API only: dependencies' #[no_mangle] functions (tch's stream
        // callbacks, bzip2's error hook) stay internal.
        // They come from archives (rlibs, static C libraries); our own objects are not.
        println!("cargo:rustc-cdylib-link-arg=-Wl,--exclude-libs,ALL");
    }
}
