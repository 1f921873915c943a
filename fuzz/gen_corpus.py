#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<parser>/):
valid files of each format and a few classic malformations. Standard
library only; deterministic, so rerunning it reproduces the committed
files."""
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def put(parser, name, data):
    d = os.path.join(HERE, 'corpus', parser)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def idx(type_byte, dims, payload):
    return bytes([0, 0, type_byte, len(dims)]) + b''.join(struct.pack('>I', d) for d in dims) + payload


def npy(descr, shape, payload, major=1, fortran=False):
    shp = '(' + ''.join('%d, ' % s for s in shape).rstrip(' ') + ')' if shape else '()'
    if len(shape) == 1:
        shp = '(%d,)' % shape[0]
    d = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shp)
    prefix = 10 if major == 1 else 12
    hl = len(d) + 1
    while (prefix + hl) % 64:
        hl += 1
    hdr = d + ' ' * (hl - len(d) - 1) + '\n'
    ln = struct.pack('<H', hl) if major == 1 else struct.pack('<I', hl)
    return b'\x93NUMPY' + bytes([major, 0]) + ln + hdr.encode() + payload


def zipfile_bytes(members, zip64_local=False):
    out, cd = b'', b''
    for name, data, method in members:
        crc = zlib.crc32(data) & 0xFFFFFFFF
        if method == 8:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            comp = c.compress(data) + c.flush()
        else:
            comp = data
        off = len(out)
        nm = name.encode()
        extra = struct.pack('<HHQQ', 1, 16, len(data), len(comp)) if zip64_local else b''
        sizes = (0xFFFFFFFF, 0xFFFFFFFF) if zip64_local else (len(comp), len(data))
        out += struct.pack('<IHHHHHIIIHH', 0x04034b50, 45 if zip64_local else 20, 0, method, 0, 0,
                           crc, sizes[0], sizes[1], len(nm), len(extra)) + nm + extra + comp
        cd += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 20, 20, 0, method, 0, 0, crc,
                          len(comp), len(data), len(nm), 0, 0, 0, 0, 0, off) + nm
    eocd = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, len(members), len(members), len(cd),
                       len(out), 0)
    return out + cd + eocd


def main():
    px = bytes(range(24))
    put('idx', 'u8_3d', idx(0x08, [2, 3, 4], px))
    put('idx', 'labels', idx(0x08, [5], bytes([0, 1, 2, 3, 9])))
    put('idx', 'f32_be', idx(0x0D, [3], struct.pack('>3f', 1.0, -2.5, 3.0)))
    put('idx', 'f64_be', idx(0x0E, [2], struct.pack('>2d', 0.5, 7.0)))
    put('idx', 'i16_i32', idx(0x0B, [2], struct.pack('>2h', -1, 5)) + b'')
    put('idx', 'nan', idx(0x0D, [2], struct.pack('>2f', float('nan'), 1.0)))
    put('idx', 'overflow_dims', idx(0x08, [0xFFFFFFFF] * 3 + [2], px))
    put('idx', 'claims_more', idx(0x08, [100, 28, 28], px))
    put('idx', 'truncated_header', idx(0x08, [2, 3, 4], px)[:9])
    put('idx', 'bad_magic', b'\x01\x00\x08\x01' + struct.pack('>I', 1) + b'\x00')
    put('idx', 'zero_dim', idx(0x08, [2, 0], b''))

    f4 = struct.pack('<6f', 1, 2, 3, 4, 5, 6)
    put('npy', 'v1_f4', npy('<f4', [3, 2], f4))
    put('npy', 'v2_u1', npy('|u1', [2, 3], bytes(6), major=2))
    put('npy', 'v3_i8', npy('<i8', [3], struct.pack('<3q', 0, 1, 2), major=3))
    put('npy', 'f8_scalar', npy('<f8', [], struct.pack('<d', 1.0)))
    put('npy', 'fortran', npy('<f4', [3, 2], f4, fortran=True))
    put('npy', 'big_endian', npy('>f4', [3, 2], f4))
    put('npy', 'complex', npy('<c8', [3], f4))
    put('npy', 'truncated', npy('<f4', [3, 2], f4)[:-5])
    put('npy', 'overflow', npy('<f4', [1 << 40, 1 << 40], f4))
    put('npy', 'bad_dict', b'\x93NUMPY\x01\x00' + struct.pack('<H', 22) + b"{'descr': '<f4', 'sh\n")
    put('npy', 'nan', npy('<f4', [2], struct.pack('<2f', float('inf'), 0)))

    x = npy('|u1', [2, 3], bytes(range(6)))
    y = npy('<i8', [2], struct.pack('<2q', 0, 1))
    put('npz', 'stored', zipfile_bytes([('x.npy', x, 0), ('y.npy', y, 0)]))
    put('npz', 'deflated', zipfile_bytes([('x.npy', x, 8), ('y.npy', y, 8)]))
    put('npz', 'numpy_zip64', zipfile_bytes([('arr_0.npy', x, 8), ('arr_1.npy', y, 0)], True))
    bad = bytearray(zipfile_bytes([('x.npy', x, 0)]))
    bad[40] ^= 1
    put('npz', 'bad_crc', bytes(bad))
    put('npz', 'truncated', zipfile_bytes([('x.npy', x, 8)])[:-30])
    put('npz', 'empty_zip', zipfile_bytes([]))

    rec = bytes([3]) + bytes(3072)
    put('cifar', 'two_records', rec + bytes([9]) + bytes(range(256)) * 12)
    put('cifar', 'bad_label', bytes([10]) + bytes(3072))
    put('cifar', 'truncated', rec[:1000])
    put('cifar', 'cifar100', bytes(3074 * 2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
