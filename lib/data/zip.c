/* The zip container of NPZ files, parsed from the central directory: stored
 * (method 0) and deflated (method 8) members, ZIP64 size fields (numpy
 * writes every member with a ZIP64 local header), CRC-32 checked. Multi-disk
 * archives and encryption are rejected. */
#include "parse_priv.h"

#include <string.h>
#include <zlib.h>

#define RLZ_MAX_INFLATE_RATIO 1100u
/* Private inflate outcome: the output is full but the stream goes on. */
#define RLZ_Z_OVERFULL 1000

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

/* Read the ZIP64 extended-information extra field: values present only for
 * the fields whose 32-bit slot is 0xFFFFFFFF, in this order. */
static richeta_status zip64_extra(rlz_err *e, const char *zname, const uint8_t *x, size_t xlen,
                                  uint64_t *usize, uint64_t *csize, uint64_t *lho) {
  size_t pos = 0;
  while (pos + 4 <= xlen) {
    uint16_t id = le16(x + pos), sz = le16(x + pos + 2);
    if ((size_t)sz > xlen - pos - 4)
      break;
    if (id == 0x0001) {
      const uint8_t *f = x + pos + 4;
      size_t off = 0;
      uint64_t *slots[3] = {usize, csize, lho};
      for (int k = 0; k < 3; k++) {
        if (*slots[k] != 0xFFFFFFFFu)
          continue;
        if (off + 8 > sz)
          return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: short ZIP64 extra field", zname);
        *slots[k] = le64(f + off);
        off += 8;
      }
      return RICHETA_OK;
    }
    pos += 4 + (size_t)sz;
  }
  return rlz_fail(e, RICHETA_ERR_FORMAT,
                  "%s: 32-bit size field is 0xFFFFFFFF but no ZIP64 extra field follows", zname);
}

richeta_status rlz_zip_find(rlz_err *e, const char *zname, const uint8_t *buf, size_t len,
                            const char *member, rlz_zip_member *out) {
  memset(out, 0, sizeof *out);
  if (len < 22)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: truncated zip file (%zu bytes, no end record)",
                    zname, len);
  size_t eocd = SIZE_MAX;
  size_t lo = len - 22 > 65535 ? len - 22 - 65535 : 0;
  for (size_t p = len - 22 + 1; p-- > lo;) {
    if (le32(buf + p) == 0x06054b50u && p + 22 + (size_t)le16(buf + p + 20) <= len) {
      eocd = p;
      break;
    }
  }
  if (eocd == SIZE_MAX)
    return rlz_fail(e, RICHETA_ERR_FORMAT,
                    "%s: bad zip magic: no end-of-central-directory record (not an NPZ file, or "
                    "truncated)",
                    zname);
  const uint8_t *r = buf + eocd;
  if (le16(r + 4) != 0 || le16(r + 6) != 0)
    return rlz_fail(e, RICHETA_ERR_UNSUPPORTED, "%s: multi-disk zip archives are not supported",
                    zname);
  uint64_t entries = le16(r + 10), cd_size = le32(r + 12), cd_off = le32(r + 16);
  size_t cd_limit = eocd;
  if (entries == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_off == 0xFFFFFFFFu) {
    if (eocd < 20 || le32(buf + eocd - 20) != 0x07064b50u)
      return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: ZIP64 end record locator missing", zname);
    uint64_t z = le64(buf + eocd - 20 + 8);
    if (z > eocd - 20 || eocd - 20 - z < 56 || le32(buf + z) != 0x06064b50u)
      return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: bad ZIP64 end-of-central-directory record",
                      zname);
    if (le32(buf + z + 16) != 0 || le32(buf + z + 20) != 0)
      return rlz_fail(e, RICHETA_ERR_UNSUPPORTED, "%s: multi-disk zip archives are not supported",
                      zname);
    entries = le64(buf + z + 32);
    cd_size = le64(buf + z + 40);
    cd_off = le64(buf + z + 48);
    cd_limit = (size_t)z;
  }
  if (cd_off > cd_limit || cd_size > cd_limit - cd_off)
    return rlz_fail(e, RICHETA_ERR_FORMAT,
                    "%s: central directory (offset %llu, %llu bytes) lies outside the file", zname,
                    (unsigned long long)cd_off, (unsigned long long)cd_size);
  char names[160] = "";
  size_t names_len = 0;
  bool found = false;
  size_t mlen = strlen(member);
  size_t pos = (size_t)cd_off, end = (size_t)(cd_off + cd_size);
  for (uint64_t i = 0; i < entries; i++) {
    if (end - pos < 46 || le32(buf + pos) != 0x02014b50u)
      return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: central directory entry %llu is malformed", zname,
                      (unsigned long long)i);
    const uint8_t *c = buf + pos;
    size_t nlen = le16(c + 28), xlen = le16(c + 30), clen = le16(c + 32);
    if (end - pos - 46 < nlen + xlen + clen)
      return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: central directory entry %llu overruns it", zname,
                      (unsigned long long)i);
    const uint8_t *nm = c + 46;
    if (names_len + nlen + 3 < sizeof names) {
      if (names_len)
        names[names_len++] = ' ';
      for (size_t k = 0; k < nlen; k++)
        names[names_len++] = (nm[k] >= 32 && nm[k] < 127) ? (char)nm[k] : '?';
      names[names_len] = '\0';
    }
    if (nlen == mlen && memcmp(nm, member, mlen) == 0) {
      if (found)
        return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: member %s appears twice", zname, member);
      found = true;
      out->found = true;
      uint16_t flags = le16(c + 8);
      out->method = le16(c + 10);
      out->crc = le32(c + 16);
      uint64_t csize = le32(c + 20), usize = le32(c + 24), lho = le32(c + 42);
      if (flags & 1u)
        return rlz_fail(e, RICHETA_ERR_UNSUPPORTED, "%s: member %s is encrypted", zname, member);
      if (out->method != 0 && out->method != 8)
        return rlz_fail(e, RICHETA_ERR_UNSUPPORTED,
                        "%s: member %s uses compression method %u (only stored and deflate)", zname,
                        member, out->method);
      if (csize == 0xFFFFFFFFu || usize == 0xFFFFFFFFu || lho == 0xFFFFFFFFu) {
        richeta_status st = zip64_extra(e, zname, c + 46 + nlen, xlen, &usize, &csize, &lho);
        if (st != RICHETA_OK)
          return st;
      }
      if (lho > len || len - lho < 30 || le32(buf + lho) != 0x04034b50u)
        return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: bad local header of member %s", zname, member);
      size_t lnlen = le16(buf + lho + 26), lxlen = le16(buf + lho + 28);
      if (lnlen != nlen || len - lho - 30 < lnlen + lxlen ||
          memcmp(buf + lho + 30, member, mlen) != 0)
        return rlz_fail(e, RICHETA_ERR_FORMAT,
                        "%s: local header of member %s does not match the directory", zname,
                        member);
      uint64_t doff = lho + 30 + lnlen + lxlen;
      if (csize > len - doff)
        return rlz_fail(e, RICHETA_ERR_FORMAT,
                        "%s: truncated member %s: %llu compressed bytes declared, %llu present",
                        zname, member, (unsigned long long)csize, (unsigned long long)(len - doff));
      if (out->method == 0 && csize != usize)
        return rlz_fail(e, RICHETA_ERR_FORMAT,
                        "%s: stored member %s has different compressed (%llu) and plain (%llu) "
                        "sizes",
                        zname, member, (unsigned long long)csize, (unsigned long long)usize);
      out->comp_size = csize;
      out->size = usize;
      out->data_offset = doff;
    }
    pos += 46 + nlen + xlen + clen;
  }
  if (!found)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: no member %s (members: %s)", zname, member,
                    names_len ? names : "none");
  return RICHETA_OK;
}

static voidpf z_alloc(voidpf opaque, uInt items, uInt size) {
  return rlz_calloc((const rlz_alloc *)opaque, items, size);
}
static void z_free(voidpf opaque, voidpf p) { rlz_free((const rlz_alloc *)opaque, p); }

static uint32_t crc_of(const uint8_t *p, size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (n > 0) {
    uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
    crc = crc32(crc, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return (uint32_t)crc;
}

richeta_status rlz_zip_extract(rlz_buf *b, const rlz_alloc *a, rlz_err *e, const char *zname,
                               const uint8_t *buf, size_t len, const char *member,
                               const rlz_zip_member *m, uint64_t budget) {
  memset(b, 0, sizeof *b);
  if (m->data_offset > len || m->comp_size > len - m->data_offset)
    return rlz_fail(e, RICHETA_ERR_INTERNAL, "%s: member %s out of bounds", zname, member);
  const uint8_t *src = buf + m->data_offset;
  if (m->size > SIZE_MAX)
    return rlz_fail(e, RICHETA_ERR_OVERFLOW, "%s: member %s too large", zname, member);
  richeta_status st;
  if (m->method == 0) {
    b->data = (uint8_t *)(uintptr_t)src;
    b->len = (size_t)m->size;
    b->kind = RLZ_BUF_VIEW;
  } else {
    if (m->size > m->comp_size * RLZ_MAX_INFLATE_RATIO + 4096u)
      return rlz_fail(e, RICHETA_ERR_FORMAT,
                      "%s: member %s declares %llu bytes, more than %llu deflated bytes can hold",
                      zname, member, (unsigned long long)m->size, (unsigned long long)m->comp_size);
    st = rlz_buf_create(b, a, e, zname, (size_t)m->size, budget);
    if (st != RICHETA_OK)
      return st;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    zs.zalloc = z_alloc;
    zs.zfree = z_free;
    zs.opaque = (voidpf)(uintptr_t)a;
    if (inflateInit2(&zs, -15) != Z_OK) {
      rlz_buf_release(b, a);
      return rlz_fail(e, RICHETA_ERR_NOMEM, "%s: cannot start inflating %s", zname, member);
    }
    size_t in_left = (size_t)m->comp_size, out_left = b->len;
    const uint8_t *in = src;
    uint8_t *outp = b->data;
    int zr = Z_OK;
    while (zr == Z_OK) {
      if (zs.avail_in == 0 && in_left > 0) {
        zs.avail_in = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
        zs.next_in = (Bytef *)(uintptr_t)in;
        in += zs.avail_in;
        in_left -= zs.avail_in;
      }
      if (zs.avail_out == 0 && out_left > 0) {
        zs.avail_out = out_left > (1u << 30) ? (1u << 30) : (uInt)out_left;
        zs.next_out = outp;
        outp += zs.avail_out;
        out_left -= zs.avail_out;
      }
      zr = inflate(&zs, Z_NO_FLUSH);
      /* Buffers are refilled above, so Z_BUF_ERROR means one side ran out:
       * a full output is more data than declared, no input is truncation. */
      if (zr == Z_BUF_ERROR && zs.avail_out == 0 && out_left == 0)
        zr = RLZ_Z_OVERFULL;
    }
    uint64_t produced = zs.total_out;
    const char *zmsg = zs.msg;
    inflateEnd(&zs);
    if (zr != Z_STREAM_END) {
      rlz_buf_release(b, a);
      if (zr == RLZ_Z_OVERFULL)
        return rlz_fail(e, RICHETA_ERR_FORMAT,
                        "%s: member %s inflates to more than the %llu bytes declared", zname,
                        member, (unsigned long long)m->size);
      if (zr == Z_MEM_ERROR)
        return rlz_fail(e, RICHETA_ERR_NOMEM, "%s: out of memory inflating %s", zname, member);
      if (zr == Z_BUF_ERROR || zr == Z_OK)
        return rlz_fail(e, RICHETA_ERR_FORMAT,
                        "%s: truncated deflate data in member %s (%llu of %llu bytes inflated)",
                        zname, member, (unsigned long long)produced, (unsigned long long)m->size);
      return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: corrupt deflate data in member %s: %s", zname,
                      member, zmsg ? zmsg : "zlib error");
    }
    if (produced != m->size) {
      rlz_buf_release(b, a);
      return rlz_fail(e, RICHETA_ERR_FORMAT,
                      "%s: member %s inflates to %llu bytes, the directory declares %llu", zname,
                      member, (unsigned long long)produced, (unsigned long long)m->size);
    }
  }
  uint32_t crc = crc_of(b->data, b->len);
  if (crc != m->crc) {
    rlz_buf_release(b, a);
    return rlz_fail(e, RICHETA_ERR_CHECKSUM, "%s: CRC-32 of member %s is %08x, directory says %08x",
                    zname, member, crc, m->crc);
  }
  return RICHETA_OK;
}

richeta_status rlz_zip_peek(const rlz_alloc *a, rlz_err *e, const char *zname, const uint8_t *buf,
                            size_t len, const char *member, const rlz_zip_member *m, uint8_t *out,
                            size_t cap, size_t *got) {
  *got = 0;
  if (m->data_offset > len || m->comp_size > len - m->data_offset)
    return rlz_fail(e, RICHETA_ERR_INTERNAL, "%s: member %s out of bounds", zname, member);
  const uint8_t *src = buf + m->data_offset;
  size_t want = m->size < (uint64_t)cap ? (size_t)m->size : cap;
  if (m->method == 0) {
    memcpy(out, src, want);
    *got = want;
    return RICHETA_OK;
  }
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  zs.zalloc = z_alloc;
  zs.zfree = z_free;
  zs.opaque = (voidpf)(uintptr_t)a;
  if (inflateInit2(&zs, -15) != Z_OK)
    return rlz_fail(e, RICHETA_ERR_NOMEM, "%s: cannot start inflating %s", zname, member);
  size_t in_left = (size_t)m->comp_size;
  zs.next_out = out;
  zs.avail_out = (uInt)want; /* cap is small: a header's worth */
  int zr = Z_OK;
  while (zr == Z_OK && zs.avail_out > 0) {
    if (zs.avail_in == 0 && in_left > 0) {
      zs.avail_in = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
      zs.next_in = (Bytef *)(uintptr_t)src;
      src += zs.avail_in;
      in_left -= zs.avail_in;
    }
    zr = inflate(&zs, Z_NO_FLUSH);
  }
  *got = (size_t)zs.total_out;
  const char *zmsg = zs.msg;
  inflateEnd(&zs);
  if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
    return rlz_fail(e, zr == Z_MEM_ERROR ? RICHETA_ERR_NOMEM : RICHETA_ERR_FORMAT,
                    "%s: corrupt deflate data in member %s: %s", zname, member,
                    zmsg ? zmsg : "zlib error");
  return RICHETA_OK;
}
