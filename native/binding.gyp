{
  "targets": [
    {
      "target_name": "tickflow_native",
      "sources": ["src/affinity.cc"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
