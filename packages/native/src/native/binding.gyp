{
  "includes": [
    "generated/kernels.gypi"
  ],
  "variables": {
    "stridenet_asan%": 0
  },
  "targets": [
    {
      "target_name": "stridenet_native",
      "sources": [
        "isa/avx2.cc",
        "isa/avx512.cc",
        "isa/portable.cc",
        "isa/neon.cc",
        "addon.cc",
        "runtime.cc",
        "gemm.cc",
        "conv-common.cc",
        "isa.cc",
        "random.cc",
        "<@(stridenet_kernel_sources)"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "."
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NAPI_CPP_EXCEPTIONS"
      ],
      "cflags!": [
        "-fno-exceptions",
        "-O2"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-fno-rtti",
        "-std=gnu++17",
        "-O2"
      ],
      "cflags": [
        "-O3",
        "-fno-math-errno",
        "-fno-trapping-math"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-fexceptions",
        "-O3",
        "-fno-math-errno",
        "-fno-trapping-math"
      ],
      "ldflags": [
        "-pthread"
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": [
          "-O3"
        ]
      },
      "msvs_settings": {
        "VCCLCompilerTool": {
          "ExceptionHandling": 1
        }
      },
      "conditions": [
        [
          "stridenet_asan==1",
          {
            "cflags": [
              "-fsanitize=address",
              "-fno-sanitize-address-use-after-scope",
              "--param=asan-instrumentation-with-call-threshold=0",
              "-fno-omit-frame-pointer",
              "-O1",
              "-g1"
            ],
            "cflags_cc": [
              "-fsanitize=address",
              "-fno-sanitize-address-use-after-scope",
              "--param=asan-instrumentation-with-call-threshold=0",
              "-fno-omit-frame-pointer",
              "-O1",
              "-g1"
            ],
            "ldflags": [
              "-fsanitize=address"
            ]
          }
        ]
      ]
    }
  ]
}
