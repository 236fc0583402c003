{
  # node-gyp front end (used by `npm install` when no prebuild matches, and by prebuildify).
  # Same sources as CMakeLists.txt: every .c file under native/src and every .cc in native/binding.
  "targets": [
    {
      "target_name": "deltaglider",
      "sources": [
        "<!@(node -p \"require('fs').readdirSync('native/src', { recursive: true }).filter(f => /\\.c$/.test(f)).sort().map(f => 'native/src/' + f).join(' ')\")",
        "<!@(node -p \"require('fs').readdirSync('native/binding').filter(f => /\\.cc$/.test(f)).map(f => 'native/binding/' + f).join(' ')\")"
      ],
      "include_dirs": [
        "native/include",
        "native/src",
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_CPP_EXCEPTIONS",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ],
      "libraries": ["-llzma"],
      "cflags": ["-O3", "-fvisibility=hidden", "-Wall"],
      "cflags_c": ["-std=c11"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-fvisibility=hidden"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++14", "-std=gnu++17"]
    }
  ]
}
