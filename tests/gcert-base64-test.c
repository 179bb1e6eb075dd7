/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gcert-jose.h"
#include "gcert-error.h"

/* RFC 4648 §10 vectors, in the URL-safe alphabet and without padding */
static const struct
{
  const char *plain;
  const char *encoded;
} rfc4648_vectors[] = {
  { "", "" },
  { "f", "Zg" },
  { "fo", "Zm8" },
  { "foo", "Zm9v" },
  { "foob", "Zm9vYg" },
  { "fooba", "Zm9vYmE" },
  { "foobar", "Zm9vYmFy" },
};

static void
test_base64_rfc4648 (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (rfc4648_vectors); i++)
    {
      const char *plain = rfc4648_vectors[i].plain;
      g_autofree char *encoded = NULL;
      g_autoptr(GBytes) decoded = NULL;
      g_autoptr(GError) error = NULL;

      encoded = gcert_base64url_encode ((const guint8 *) plain, strlen (plain));
      g_assert_cmpstr (encoded, ==, rfc4648_vectors[i].encoded);

      decoded = gcert_base64url_decode (rfc4648_vectors[i].encoded, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (g_bytes_get_data (decoded, NULL),
                       g_bytes_get_size (decoded), plain, strlen (plain));
    }
}

static void
test_base64_url_alphabet (void)
{
  /* bytes that need '+' and '/' in standard base64 */
  static const guint8 data[] = { 0xfb, 0xff, 0xbf, 0xfe };
  g_autofree char *encoded = gcert_base64url_encode (data, sizeof data);
  g_autoptr(GBytes) decoded = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (encoded, ==, "-_-__g");
  decoded = gcert_base64url_decode (encoded, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (decoded, NULL), g_bytes_get_size (decoded),
                   data, sizeof data);
}

/* RFC 7515 appendix C: the bytes of the example, and its encoding */
static void
test_base64_rfc7515 (void)
{
  static const guint8 data[] = { 3, 236, 255, 224, 193 };
  g_autofree char *encoded = gcert_base64url_encode (data, sizeof data);

  g_assert_cmpstr (encoded, ==, "A-z_4ME");
}

static void
test_base64_padding (void)
{
  static const struct
  {
    const char *text;
    const char *plain;
  } padded[] = {
    { "Zg==", "f" },
    { "Zm8=", "fo" },
    { "Zm9v", "foo" },
    { "Zm9vYg==", "foob" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (padded); i++)
    {
      g_autoptr(GBytes) decoded = NULL;
      g_autoptr(GError) error = NULL;

      decoded = gcert_base64url_decode (padded[i].text, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (g_bytes_get_data (decoded, NULL),
                       g_bytes_get_size (decoded),
                       padded[i].plain, strlen (padded[i].plain));
    }
}

static void
test_base64_invalid (void)
{
  static const char * const invalid[] = {
    "Zm9v+g",     /* standard alphabet */
    "Zm9v/g",
    "Zm 9v",      /* whitespace */
    "Zm9v\n",
    "Zm9v.",
    "Zg=",        /* padding that does not complete a quantum */
    "Zg===",
    "Z===",
    "====",
    "Zg==Zg==",   /* padding in the middle */
    "Zm=v",
    "Z",          /* a length no encoding has */
    "Zm9vY",
    "Zh",         /* trailing bits set: not the encoding of any value */
    "Zm9",
    "Zh==",
    "Zm\xc3\xa9v", /* not ASCII */
  };

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GBytes) decoded = NULL;
      g_autoptr(GError) error = NULL;

      decoded = gcert_base64url_decode (invalid[i], &error);
      g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
      g_assert_null (decoded);
    }
}

static void
test_base64_roundtrip (void)
{
  for (gsize len = 0; len < 300; len++)
    {
      g_autofree guint8 *data = g_malloc (len + 1);
      g_autofree char *encoded = NULL;
      g_autoptr(GBytes) decoded = NULL;
      g_autoptr(GError) error = NULL;

      for (gsize i = 0; i < len; i++)
        data[i] = (guint8) g_random_int ();
      encoded = gcert_base64url_encode (data, len);
      g_assert_cmpuint (strlen (encoded), ==, (len * 4 + 2) / 3);
      g_assert_null (strpbrk (encoded, "+/="));
      decoded = gcert_base64url_decode (encoded, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (g_bytes_get_data (decoded, NULL),
                       g_bytes_get_size (decoded), data, len);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gcert/base64/rfc4648", test_base64_rfc4648);
  g_test_add_func ("/gcert/base64/url-alphabet", test_base64_url_alphabet);
  g_test_add_func ("/gcert/base64/rfc7515", test_base64_rfc7515);
  g_test_add_func ("/gcert/base64/padding", test_base64_padding);
  g_test_add_func ("/gcert/base64/invalid", test_base64_invalid);
  g_test_add_func ("/gcert/base64/roundtrip", test_base64_roundtrip);

  return g_test_run ();
}
