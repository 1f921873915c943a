/* NPY files, format versions 1 to 3: "\x93NUMPY", version, header length,
 * then a Python dict literal {'descr': '<f4', 'fortran_order': False,
 * 'shape': (N, D), } padded with spaces and a newline, then the data. The
 * dict is parsed by a small strict tokenizer: every key exactly once, no
 * other key, values of the right kind. */
#include "parse_priv.h"

#include <stdio.h>
#include <string.h>

typedef struct cursor {
  const char *p, *end;
} cursor;

static void skip_ws(cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
}

static bool eat(cursor *c, char ch) {
  skip_ws(c);
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return true;
  }
  return false;
}

/* Python string literal in single or double quotes, no escapes (numpy
 * never writes any in a header); copied into out (cap bytes). */
static bool read_string(cursor *c, char *out, size_t cap) {
  skip_ws(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
    return false;
  char q = *c->p++;
  size_t n = 0;
  while (c->p < c->end && *c->p != q) {
    if (*c->p == '\\' || *c->p == '\n' || n + 1 >= cap)
      return false;
    out[n++] = *c->p++;
  }
  if (c->p >= c->end)
    return false;
  c->p++;
  out[n] = '\0';
  return true;
}

static bool read_word(cursor *c, const char *w) {
  skip_ws(c);
  size_t n = strlen(w);
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
    return false;
  /* the word must end there */
  if ((size_t)(c->end - c->p) > n) {
    char nx = c->p[n];
    if ((nx >= 'a' && nx <= 'z') || (nx >= 'A' && nx <= 'Z') || (nx >= '0' && nx <= '9') ||
        nx == '_')
      return false;
  }
  c->p += n;
  return true;
}

typedef struct npy_dict {
  char descr[64];
  bool have_descr, have_fortran, have_shape;
  bool fortran;
  int ndim;
  int64_t dims[RLZ_MAX_DIMS];
} npy_dict;

static richeta_status parse_shape(rlz_err *e, const char *name, cursor *c, npy_dict *d) {
  if (!eat(c, '('))
    return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: NPY header: 'shape' is not a tuple", name);
  d->ndim = 0;
  if (eat(c, ')'))
    return RICHETA_OK;
  for (;;) {
    skip_ws(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
      return rlz_fail(e, RICHETA_ERR_FORMAT,
                      "%s: NPY header: 'shape' holds something other than a non-negative integer",
                      name);
    int64_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
      int dgt = *c->p - '0';
      if (v > (INT64_MAX - dgt) / 10)
        return rlz_fail(e, RICHETA_ERR_OVERFLOW, "%s: NPY header: a dimension overflows 64 bits",
                        name);
      v = v * 10 + dgt;
      c->p++;
    }
    if (c->p < c->end && *c->p == 'L') /* Python 2 long suffix */
      c->p++;
    if (d->ndim >= RLZ_MAX_DIMS)
      return rlz_fail(e, RICHETA_ERR_UNSUPPORTED, "%s: NPY array has more than %d dimensions", name,
                      RLZ_MAX_DIMS);
    d->dims[d->ndim++] = v;
    if (eat(c, ')'))
      return RICHETA_OK;
    if (!eat(c, ','))
      return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: NPY header: malformed 'shape' tuple", name);
    if (eat(c, ')'))
      return RICHETA_OK;
  }
}

static richeta_status parse_dict(rlz_err *e, const char *name, cursor *c, npy_dict *d) {
  memset(d, 0, sizeof *d);
  if (!eat(c, '{'))
    return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: NPY header is not a dict literal", name);
  bool first = true;
  for (;;) {
    if (eat(c, '}'))
      break;
    if (!first && !eat(c, ','))
      return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: NPY header: expected ',' or '}' in the dict",
                      name);
    if (!first && eat(c, '}'))
      break;
    first = false;
    char key[32];
    if (!read_string(c, key, sizeof key))
      return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: NPY header: expected a quoted key", name);
    if (!eat(c, ':'))
      return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: NPY header: expected ':' after key '%s'", name,
                      key);
    if (strcmp(key, "descr") == 0) {
      if (d->have_descr)
        return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: NPY header: duplicate key 'descr'", name);
      skip_ws(c);
      if (c->p < c->end && *c->p == '[')
        return rlz_fail(e, RICHETA_ERR_UNSUPPORTED,
                        "%s: NPY structured (record) dtypes are not supported", name);
      if (!read_string(c, d->descr, sizeof d->descr))
        return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: NPY header: 'descr' is not a short string",
                        name);
      d->have_descr = true;
    } else if (strcmp(key, "fortran_order") == 0) {
      if (d->have_fortran)
        return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: NPY header: duplicate key 'fortran_order'",
                        name);
      if (read_word(c, "True"))
        d->fortran = true;
      else if (read_word(c, "False"))
        d->fortran = false;
      else
        return rlz_fail(e, RICHETA_ERR_FORMAT,
                        "%s: NPY header: 'fortran_order' is neither True nor False", name);
      d->have_fortran = true;
    } else if (strcmp(key, "shape") == 0) {
      if (d->have_shape)
        return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: NPY header: duplicate key 'shape'", name);
      richeta_status st = parse_shape(e, name, c, d);
      if (st != RICHETA_OK)
        return st;
      d->have_shape = true;
    } else {
      return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: NPY header: unexpected key '%s'", name, key);
    }
  }
  skip_ws(c);
  if (c->p != c->end)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: NPY header: text after the closing '}'", name);
  if (!d->have_descr || !d->have_fortran || !d->have_shape)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: NPY header lacks the key '%s'", name,
                    !d->have_descr     ? "descr"
                    : !d->have_fortran ? "fortran_order"
                                       : "shape");
  return RICHETA_OK;
}

/* '<f4' and friends. Well-formed but unsupported type strings give
 * UNSUPPORTED; anything else FORMAT. */
static richeta_status parse_descr(rlz_err *e, const char *name, const char *s, rlz_elt *elt) {
  char order = '=';
  if (*s == '<' || *s == '>' || *s == '|' || *s == '=')
    order = *s++;
  char kind = *s;
  if (!((kind >= 'a' && kind <= 'z') || (kind >= 'A' && kind <= 'Z')))
    return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: NPY header: malformed dtype '%s'", name, s);
  s++;
  long size = 0;
  const char *digits = s;
  while (*s >= '0' && *s <= '9' && size < 100000)
    size = size * 10 + (*s++ - '0');
  if (*s != '\0' && !(*s == '[' && (kind == 'M' || kind == 'm')))
    return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: NPY header: malformed dtype string", name);
  if (s == digits && kind != 'O')
    return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: NPY header: dtype without a size", name);
  rlz_elt t = RLZ_ELT_NONE;
  if (kind == 'u' && size == 1)
    t = RLZ_ELT_U8;
  else if (kind == 'i' && size == 1)
    t = RLZ_ELT_I8;
  else if (kind == 'u' && size == 2)
    t = RLZ_ELT_U16;
  else if (kind == 'i' && size == 2)
    t = RLZ_ELT_I16;
  else if (kind == 'u' && size == 4)
    t = RLZ_ELT_U32;
  else if (kind == 'i' && size == 4)
    t = RLZ_ELT_I32;
  else if (kind == 'u' && size == 8)
    t = RLZ_ELT_U64;
  else if (kind == 'i' && size == 8)
    t = RLZ_ELT_I64;
  else if (kind == 'f' && size == 4)
    t = RLZ_ELT_F32;
  else if (kind == 'f' && size == 8)
    t = RLZ_ELT_F64;
  if (t == RLZ_ELT_NONE)
    return rlz_fail(e, RICHETA_ERR_UNSUPPORTED,
                    "%s: NPY dtype '%c%ld' is not supported (use uint8, int8..int64, float32 "
                    "or float64)",
                    name, kind, size);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  bool foreign = order == '<';
#else
  bool foreign = order == '>';
#endif
  if (foreign && rlz_elt_size(t) > 1)
    return rlz_fail(e, RICHETA_ERR_UNSUPPORTED,
                    "%s: NPY data is %s-endian; convert it with numpy (.astype('<%c%ld'))", name,
                    order == '>' ? "big" : "little", kind, size);
  *elt = t;
  return RICHETA_OK;
}

richeta_status rlz_parse_npy_header(rlz_err *e, const char *name, const uint8_t *buf, size_t len,
                                    rlz_array *out, size_t *data_offset) {
  memset(out, 0, sizeof *out);
  *data_offset = 0;
  static const uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (len < 8)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: truncated NPY file: %zu bytes, header needs 10",
                    name, len);
  if (memcmp(buf, magic, 6) != 0)
    return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: bad NPY magic (expected \\x93NUMPY)", name);
  uint8_t major = buf[6];
  size_t prefix, hlen;
  if (major == 1) {
    prefix = 10;
    if (len < prefix)
      return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: truncated NPY file: %zu bytes, header needs %zu",
                      name, len, prefix);
    hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
  } else if (major == 2 || major == 3) {
    prefix = 12;
    if (len < prefix)
      return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: truncated NPY file: %zu bytes, header needs %zu",
                      name, len, prefix);
    hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
  } else {
    return rlz_fail(e, RICHETA_ERR_VERSION, "%s: NPY format version %u.%u is not supported (1-3)",
                    name, major, buf[7]);
  }
  if (hlen > len - prefix)
    return rlz_fail(e, RICHETA_ERR_FORMAT,
                    "%s: truncated NPY header: declares %zu header bytes, file has %zu", name,
                    prefix + hlen, len);
  const char *h = (const char *)buf + prefix;
  if (memchr(h, '\0', hlen))
    return rlz_fail(e, RICHETA_ERR_FORMAT, "%s: NPY header contains a NUL byte", name);
  cursor c = {h, h + hlen};
  npy_dict d;
  richeta_status st = parse_dict(e, name, &c, &d);
  if (st != RICHETA_OK)
    return st;
  rlz_array a;
  memset(&a, 0, sizeof a);
  st = parse_descr(e, name, d.descr, &a.elt);
  if (st != RICHETA_OK)
    return st;
  int non_unit = 0;
  for (int k = 0; k < d.ndim; k++)
    non_unit += d.dims[k] != 1;
  if (d.fortran && non_unit > 1)
    return rlz_fail(e, RICHETA_ERR_UNSUPPORTED,
                    "%s: NPY array is in Fortran order; save it in C order "
                    "(numpy.ascontiguousarray)",
                    name);
  a.ndim = d.ndim;
  memcpy(a.dims, d.dims, sizeof d.dims);
  st = rlz_shape_count(e, name, a.ndim, a.dims, rlz_elt_size(a.elt), &a.count, &a.nbytes);
  if (st != RICHETA_OK)
    return st;
  *out = a;
  *data_offset = prefix + hlen;
  return RICHETA_OK;
}

richeta_status rlz_parse_npy_mem(rlz_err *e, const char *name, const uint8_t *buf, size_t len,
                                 rlz_array *out) {
  memset(out, 0, sizeof *out);
  rlz_array a;
  size_t data_off;
  richeta_status st = rlz_parse_npy_header(e, name, buf, len, &a, &data_off);
  if (st != RICHETA_OK)
    return st;
  size_t have = len - data_off;
  if (have < a.nbytes)
    return rlz_fail(e, RICHETA_ERR_FORMAT,
                    "%s: truncated NPY data: header declares %zu data bytes, file has %zu", name,
                    a.nbytes, have);
  if (have > a.nbytes)
    return rlz_fail(e, RICHETA_ERR_FORMAT,
                    "%s: NPY file has %zu trailing bytes after the %zu data bytes declared", name,
                    have - a.nbytes, a.nbytes);
  a.data = buf + data_off;
  st = rlz_check_finite(e, name, &a);
  if (st != RICHETA_OK)
    return st;
  *out = a;
  return RICHETA_OK;
}
