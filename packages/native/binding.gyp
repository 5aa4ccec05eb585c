{
  "variables": { "asan%": 0 },
  "targets": [
    {
      "target_name": "stridenet_native",
      "sources": [
        "src/native/addon.cc",
        "src/native/runtime.cc",
        "src/native/gemm.cc",
        "src/native/conv-common.cc",
        "src/native/kernels/conv2d.cc",
        "src/native/kernels/conv2d-backprop-input.cc",
        "src/native/kernels/conv2d-backprop-filter.cc",
        "src/native/kernels/max-pool2d.cc",
        "src/native/kernels/max-pool2d-grad.cc",
        "src/native/kernels/avg-pool2d.cc",
        "src/native/kernels/avg-pool2d-grad.cc",
        "src/native/kernels/mat-mul.cc",
        "src/native/kernels/bias-add.cc",
        "src/native/kernels/bias-add-grad.cc",
        "src/native/kernels/binary.cc",
        "src/native/kernels/unary.cc",
        "src/native/kernels/unary-grad.cc",
        "src/native/kernels/reduce.cc",
        "src/native/kernels/softmax.cc",
        "src/native/kernels/softmax-cross-entropy.cc",
        "src/native/kernels/softmax-cross-entropy-grad.cc",
        "src/native/kernels/batch-norm-train.cc",
        "src/native/kernels/batch-norm-inference.cc",
        "src/native/kernels/batch-norm-grad.cc",
        "src/native/kernels/dropout.cc",
        "src/native/kernels/concat.cc",
        "src/native/kernels/slice.cc",
        "src/native/kernels/transpose.cc",
        "src/native/kernels/pad.cc",
        "src/native/kernels/sgd-update.cc",
        "src/native/kernels/adam-update.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "src/native"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-O2"],
      "cflags": ["-O3", "-fno-math-errno"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-fno-math-errno"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-O3"]
      },
      "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1 } },
      "conditions": [
        ["asan==1", {
          "cflags": ["-fsanitize=address", "-fno-omit-frame-pointer", "-g"],
          "cflags_cc": ["-fsanitize=address", "-fno-omit-frame-pointer", "-g"],
          "ldflags": ["-fsanitize=address"]
        }]
      ]
    }
  ]
}
