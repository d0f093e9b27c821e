#!/usr/bin/env python3
"""Rebinds every STB_GNU_UNIQUE dynamic symbol of an ELF64 little-endian shared library as STB_GLOBAL, in place.

Why (issue 18 experiment, docs/bf16-compute.md): GCC marks C++ inline-function statics and template static members
(c10's dispatcher singleton among them) as GNU_UNIQUE, and glibc binds such a symbol process-wide to the first library
that defined it, whatever the loading scope. With two libtorch builds in one process the second build's static
initialisers would then run against the first build's singletons. As plain GLOBAL symbols, a library loaded with
RTLD_LOCAL (System.load) resolves them inside its own dependency tree.
Usage: elf-unique-to-global.py LIB...
"""
import struct
import sys

STB_GNU_UNIQUE = 10
STB_GLOBAL = 1
SHT_DYNSYM = 11


def rebind(path):
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise SystemExit(f"{path}: not an ELF64 little-endian file")
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        changed = 0
        for i in range(shnum):
            sh = shoff + i * shentsize
            sh_type, = struct.unpack_from("<I", data, sh + 4)
            if sh_type != SHT_DYNSYM:
                continue
            offset, size, _, _, entsize = struct.unpack_from("<QQIIQ", data, sh + 0x18)
            for sym in range(offset, offset + size, entsize):
                info = data[sym + 4]
                if info >> 4 == STB_GNU_UNIQUE:
                    data[sym + 4] = (STB_GLOBAL << 4) | (info & 0xF)
                    changed += 1
        f.seek(0)
        f.write(data)
    print(f"{path}: {changed} GNU_UNIQUE symbols rebound as GLOBAL", file=sys.stderr)


for p in sys.argv[1:]:
    rebind(p)
