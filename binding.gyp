{
  # The node-gyp route (`npx node-gyp rebuild`). `npm install` builds with cmake-js
  # (scripts/install.js); both ask scripts/find-libtorch.cjs which libtorch to use.
  "targets": [
    {
      "target_name": "torch_node",
      "sources": [
        "native/addon.cpp",
        "native/autocast.cpp",
        "native/autograd.cpp",
        "native/context.cpp",
        "native/cpu_allocator.cpp",
        "native/creation.cpp",
        "native/cuda.cpp",
        "native/dispatch.cpp",
        "native/distributed.cpp",
        "native/indexing.cpp",
        "native/jit.cpp",
        "native/tensor_handle.cpp",
        "native/unboxed.cpp"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/find-libtorch.cjs --include)"
      ],
      "defines": ["NAPI_EXPERIMENTAL", "NAPI_VERSION=2147483647", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++1y", "-std=gnu++14"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-Wno-unused-parameter", "-idirafter", "native/compat"],
      "libraries": [
        "-L<!(node scripts/find-libtorch.cjs --libdir)",
        "-Wl,-rpath,<!(node scripts/find-libtorch.cjs --libdir)",
        "-Wl,--no-as-needed",
        "<!@(node scripts/find-libtorch.cjs --libs)",
        "-Wl,--as-needed"
      ]
    }
  ]
}
