"""The native layer: typed numeric Python compiled to machine code through LLVM."""
