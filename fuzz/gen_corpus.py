#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<parser>/):
valid files of each format and a few classic malformations. Standard
library only (sqlite3 for the sweep databases); deterministic, so
rerunning it reproduces the committed files (the databases byte for byte
with the same SQLite version)."""
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


# --- sweep databases (fuzz_store) ----------------------------------------
STORE_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sweeps(config_hash TEXT PRIMARY KEY, config TEXT NOT NULL, depth INTEGER NOT NULL);
CREATE TABLE runs(id INTEGER PRIMARY KEY, config_hash TEXT NOT NULL,
 gamma REAL NOT NULL, eta0 REAL NOT NULL, seed INTEGER NOT NULL, eta REAL,
 status TEXT NOT NULL CHECK (status IN ('converged', 'diverged', 'failed', 'stalled')),
 steps INTEGER NOT NULL, initial_loss REAL, final_loss REAL, best_loss REAL,
 test_initial_loss REAL, test_final_loss REAL, test_best_loss REAL, test_accuracy REAL,
 wall_time REAL, message TEXT, config TEXT NOT NULL, UNIQUE (config_hash, gamma, eta0, seed));
CREATE TABLE curves(run_id INTEGER NOT NULL REFERENCES runs(id), step INTEGER NOT NULL,
 loss REAL, test_loss REAL, test_accuracy REAL, eta REAL, PRIMARY KEY (run_id, step))
 WITHOUT ROWID;
CREATE TABLE run_checksums(run_id INTEGER PRIMARY KEY, points INTEGER NOT NULL,
 digest INTEGER NOT NULL);
"""
RUN_COLS = ('config_hash', 'gamma', 'eta0', 'seed', 'eta', 'status', 'steps', 'initial_loss',
            'final_loss', 'best_loss', 'test_initial_loss', 'test_final_loss', 'test_best_loss',
            'test_accuracy', 'wall_time', 'message', 'config')
POINT_COLS = ('step', 'loss', 'test_loss', 'test_accuracy', 'eta')
SQLITE_TYPES = {'integer': 1, 'real': 2, 'text': 3, 'blob': 4, 'null': 5}


def fnv(h, data):
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def hash_values(h, db, table, cols, where, args):
    """The digest of lib/sweep/store_check.c: each value with its type."""
    sel = ', '.join('typeof(%s), %s' % (c, c) for c in cols)
    for row in db.execute('SELECT %s FROM %s WHERE %s' % (sel, table, where), args):
        for t, v in zip(row[0::2], row[1::2]):
            tag = SQLITE_TYPES[t]
            h = fnv(h, bytes([tag]))
            if tag == 1:
                h = fnv(h, struct.pack('<q', v))
            elif tag == 2:
                h = fnv(h, struct.pack('<d', v))
            elif tag in (3, 4):
                raw = v.encode() if tag == 3 else bytes(v)
                h = fnv(h, struct.pack('<Q', len(raw)) + raw)
    return h


def store_bytes(runs=2, version='1', checksums=True, app_id=0x524c5a53, tamper=None):
    """A small sweep database (512-byte pages) as bytes; tamper(db) may
    change it after the checksums are written."""
    import os as _os
    import sqlite3
    import tempfile
    fd, path = tempfile.mkstemp(suffix='.db')
    _os.close(fd)
    _os.unlink(path)
    db = sqlite3.connect(path)
    db.execute('PRAGMA page_size=512')
    db.executescript(STORE_SCHEMA)
    db.execute('PRAGMA application_id=%d' % app_id)
    db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (version,))
    db.execute("INSERT INTO sweeps VALUES ('00112233aabbccdd', 'D=2,N=4,L=2,T=8', 2)")
    for i in range(runs):
        status = 'diverged' if i % 3 == 2 else 'converged'
        steps = 3 if status == 'diverged' else 8
        db.execute('INSERT INTO runs(id, config_hash, gamma, eta0, seed, eta, status, steps, '
                   'initial_loss, final_loss, best_loss, wall_time, config) VALUES '
                   '(?, ?, ?, ?, 0, ?, ?, ?, 1.0, ?, ?, 0.0, ?)',
                   (i + 1, '00112233aabbccdd', 10.0 ** (i - 1), 0.1, 0.1, status, steps,
                    0.5 / (i + 1), 0.5 / (i + 1), 'D=2,N=4,L=2,T=8,gamma=%g' % 10.0 ** (i - 1)))
        for s in (0, steps):
            db.execute('INSERT INTO curves(run_id, step, loss, eta) VALUES (?, ?, ?, 0.1)',
                       (i + 1, s, 1.0 if s == 0 else 0.5 / (i + 1)))
        if checksums:
            h = hash_values(0xcbf29ce484222325, db, 'sweeps', ('config', 'depth'),
                            'config_hash = ?', ('00112233aabbccdd',))
            h = hash_values(h, db, 'runs', RUN_COLS, 'id = ?', (i + 1,))
            h = hash_values(h, db, 'curves', POINT_COLS, 'run_id = ? ORDER BY step', (i + 1,))
            db.execute('INSERT INTO run_checksums VALUES (?, 2, ?)',
                       (i + 1, struct.unpack('<q', struct.pack('<Q', h))[0]))
    if not checksums:
        db.execute('DROP TABLE run_checksums')
    if tamper:
        tamper(db)
    db.commit()
    db.close()
    data = open(path, 'rb').read()
    _os.unlink(path)
    return data


def store_corpus():
    good = store_bytes(3)
    put('store', 'sound', good)
    put('store', 'legacy_no_checksums', store_bytes(3, checksums=False, app_id=0))
    put('store', 'schema_v2', store_bytes(2, version='2'))
    put('store', 'schema_junk', store_bytes(1, version='one'))
    put('store', 'other_app', store_bytes(1, app_id=1234))
    put('store', 'lost_point', store_bytes(3, tamper=lambda db: db.execute(
        'DELETE FROM curves WHERE run_id = 2 AND step = 8')))
    put('store', 'changed_loss', store_bytes(3, tamper=lambda db: db.execute(
        'UPDATE runs SET final_loss = 0.25000001 WHERE id = 2')))
    put('store', 'orphan_point', store_bytes(2, tamper=lambda db: db.execute(
        'INSERT INTO curves(run_id, step, loss) VALUES (99, 0, 1.0)')))
    put('store', 'no_sweep_row', store_bytes(2, tamper=lambda db: db.execute(
        'DELETE FROM sweeps')))
    put('store', 'truncated', good[:len(good) * 9 // 10])
    flipped = bytearray(good)
    flipped[len(good) - 100] ^= 0x10
    put('store', 'flipped_bit', bytes(flipped))
    put('store', 'text', b'key=value\n')
    put('store', 'empty', b'')
    put('store', 'header_only', good[:100])
    bad_ps = bytearray(good)
    bad_ps[16:18] = b'\x03\x00'
    put('store', 'bad_page_size', bytes(bad_ps))


def paths_corpus():
    """fuzz_paths: [scene kind][operation][file bytes]: every kind with every
    operation, the file a small valid spec (a config line)."""
    body = b'D=2,N=4\n'
    for kind in range(13):
        for op in range(13):
            put('paths', 'k%02d_op%02d' % (kind, op), bytes([kind, op]) + body)


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

    store_corpus()
    paths_corpus()
    return 0


if __name__ == '__main__':
    sys.exit(main())
