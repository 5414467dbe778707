{
  "variables": {
    "sanitize%": "false"
  },
  "targets": [
    {
      "target_name": "wscodec",
      "sources": ["bindings/kernels.cc", "bindings/addon.cc", "bindings/transport.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-exceptions", "-Wall", "-Wextra"],
      "cflags_cc!": ["-fno-rtti"],
      "conditions": [
        ["sanitize=='true'", {
          "cflags_cc": ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"],
          "ldflags": ["-fsanitize=address,undefined"]
        }]
      ]
    }
  ]
}
