/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "gcert-rfc2136-private.h"
#include "gcert-settings.h"

/* TSIG algorithms and keys, and the key files of BIND's format. */

static const GCertRfc2136Algorithm algorithms[] = {
  { "hmac-sha256", GNUTLS_MAC_SHA256 },
  { "hmac-sha512", GNUTLS_MAC_SHA512 },
  { "hmac-sha384", GNUTLS_MAC_SHA384 },
  { "hmac-sha224", GNUTLS_MAC_SHA224 },
  { "hmac-sha1", GNUTLS_MAC_SHA1 },
};

const GCertRfc2136Algorithm *
gcert_rfc2136_algorithm_lookup (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);
  gsize length = strlen (lower);

  if (length > 0 && lower[length - 1] == '.')
    lower[length - 1] = '\0';
  for (guint i = 0; i < G_N_ELEMENTS (algorithms); i++)
    {
      if (g_str_equal (lower, algorithms[i].name))
        return &algorithms[i];
    }
  return NULL;
}

/* @name as a lowercase absolute domain name with its trailing dot, or NULL
 * when it is not a host-style name (letters, digits, '-', '_'). */
char *
gcert_rfc2136_normalize_name (const char *name)
{
  g_autofree char *lower = NULL;
  g_auto(GStrv) labels = NULL;
  gsize length;

  if (name == NULL || *name == '\0')
    return NULL;
  if (g_str_equal (name, "."))
    return g_strdup (".");
  lower = g_ascii_strdown (name, -1);
  length = strlen (lower);
  if (lower[length - 1] == '.')
    lower[--length] = '\0';
  if (length == 0 || length > 253)
    return NULL;

  labels = g_strsplit (lower, ".", -1);
  for (guint i = 0; labels[i] != NULL; i++)
    {
      gsize label_length = strlen (labels[i]);

      if (label_length == 0 || label_length > 63)
        return NULL;
      for (const char *p = labels[i]; *p != '\0'; p++)
        {
          if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
            return NULL;
        }
    }
  return g_strconcat (lower, ".", NULL);
}

/* "example.test." → "example.test" for messages */
char *
gcert_rfc2136_display_name (const char *name)
{
  gsize length = strlen (name);

  if (length > 1 && name[length - 1] == '.')
    return g_strndup (name, length - 1);
  return g_strdup (name);
}

gboolean
gcert_rfc2136_is_base64 (const char *text)
{
  gsize length = strlen (text);
  guint padding = 0;

  if (length == 0 || length % 4 != 0)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (c == '=')
        {
          if (i + 2 < length)
            return FALSE;
          padding++;
          continue;
        }
      if (padding > 0)
        return FALSE;
      if (!g_ascii_isalnum (c) && c != '+' && c != '/')
        return FALSE;
    }
  return TRUE;
}

void
gcert_rfc2136_key_set_secret (GCertRfc2136Key *key,
                              const char      *base64)
{
  gsize length = 0;
  guchar *secret = g_base64_decode (base64, &length);

  if (key->secret != NULL)
    {
      explicit_bzero (key->secret, key->secret_length);
      g_free (key->secret);
    }
  key->secret = secret;
  key->secret_length = length;
}

void
gcert_rfc2136_key_clear (GCertRfc2136Key *key)
{
  if (key->secret != NULL)
    explicit_bzero (key->secret, key->secret_length);
  g_clear_pointer (&key->secret, g_free);
  key->secret_length = 0;
  g_clear_pointer (&key->name, g_free);
  key->algorithm = NULL;
}

typedef enum {
  TOKEN_END,
  TOKEN_WORD,
  TOKEN_STRING,
  TOKEN_OPEN,
  TOKEN_CLOSE,
  TOKEN_SEMICOLON,
  TOKEN_BAD,
} TokenKind;

/* A tokenizer for BIND's configuration syntax, as far as key statements
 * need it: words, quoted strings, braces, semicolons and the three kinds
 * of comments. Token texts may hold the secret: they are wiped. */
typedef struct {
  const char *p;
  guint       line;
  TokenKind   kind;
  char       *text;
  guint       token_line;
} Lexer;

static void
lexer_next (Lexer *lexer)
{
  const char *p = lexer->p;

  g_clear_pointer (&lexer->text, gcert_settings_free_secret);
  while (TRUE)
    {
      if (*p == '\n')
        {
          lexer->line++;
          p++;
        }
      else if (g_ascii_isspace (*p))
        {
          p++;
        }
      else if (*p == '#' || (p[0] == '/' && p[1] == '/'))
        {
          while (*p != '\0' && *p != '\n')
            p++;
        }
      else if (p[0] == '/' && p[1] == '*')
        {
          p += 2;
          while (*p != '\0' && !(p[0] == '*' && p[1] == '/'))
            {
              if (*p == '\n')
                lexer->line++;
              p++;
            }
          if (*p == '\0')
            {
              lexer->kind = TOKEN_BAD;
              lexer->p = p;
              return;
            }
          p += 2;
        }
      else
        {
          break;
        }
    }

  lexer->token_line = lexer->line;
  if (*p == '\0')
    {
      lexer->kind = TOKEN_END;
    }
  else if (*p == '{' || *p == '}' || *p == ';')
    {
      lexer->kind = *p == '{' ? TOKEN_OPEN : *p == '}' ? TOKEN_CLOSE : TOKEN_SEMICOLON;
      p++;
    }
  else if (*p == '"')
    {
      GString *text = g_string_new (NULL);

      p++;
      while (*p != '\0' && *p != '"' && *p != '\n')
        {
          if (*p == '\\' && p[1] != '\0' && p[1] != '\n')
            p++;
          g_string_append_c (text, *p);
          p++;
        }
      if (*p != '"')
        {
          explicit_bzero (text->str, text->len);
          g_string_free (text, TRUE);
          lexer->kind = TOKEN_BAD;
          lexer->p = p;
          return;
        }
      p++;
      lexer->kind = TOKEN_STRING;
      lexer->text = g_string_free (text, FALSE);
    }
  else
    {
      const char *start = p;

      while (*p != '\0' && !g_ascii_isspace (*p) && *p != '{' && *p != '}' &&
             *p != ';' && *p != '"')
        p++;
      lexer->kind = TOKEN_WORD;
      lexer->text = g_strndup (start, p - start);
    }
  lexer->p = p;
}

void
gcert_rfc2136_key_entry_free (GCertRfc2136KeyEntry *entry)
{
  g_free (entry->name);
  gcert_settings_free_secret (entry->secret);
  g_free (entry);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertRfc2136KeyEntry, gcert_rfc2136_key_entry_free)

static gboolean
lexer_expect_semicolon (Lexer  *lexer,
                        char  **problem)
{
  lexer_next (lexer);
  if (lexer->kind != TOKEN_SEMICOLON)
    {
      *problem = g_strdup_printf (_("line %u: expected “;”"), lexer->token_line);
      return FALSE;
    }
  lexer_next (lexer);
  return TRUE;
}

/* One `key "NAME" { algorithm ALG; secret "BASE64"; };` statement, the
 * lexer standing on `key`. Problems never quote the text, which may be a
 * secret. */
static GCertRfc2136KeyEntry *
parse_key_statement (Lexer  *lexer,
                     char  **problem)
{
  g_autoptr(GCertRfc2136KeyEntry) entry = g_new0 (GCertRfc2136KeyEntry, 1);

  entry->line = lexer->token_line;
  lexer_next (lexer);
  if (lexer->kind != TOKEN_WORD && lexer->kind != TOKEN_STRING)
    {
      *problem = g_strdup_printf (_("line %u: expected the key's name after “key”"),
                                  lexer->token_line);
      return NULL;
    }
  entry->name = gcert_rfc2136_normalize_name (lexer->text);
  if (entry->name == NULL)
    {
      *problem = g_strdup_printf (_("line %u: the key's name is not a valid domain name"),
                                  lexer->token_line);
      return NULL;
    }
  lexer_next (lexer);
  if (lexer->kind != TOKEN_OPEN)
    {
      *problem = g_strdup_printf (_("line %u: expected “{” after the key's name"),
                                  lexer->token_line);
      return NULL;
    }
  lexer_next (lexer);

  while (lexer->kind != TOKEN_CLOSE)
    {
      if (lexer->kind == TOKEN_WORD && g_ascii_strcasecmp (lexer->text, "algorithm") == 0)
        {
          lexer_next (lexer);
          if (lexer->kind != TOKEN_WORD && lexer->kind != TOKEN_STRING)
            {
              *problem = g_strdup_printf (_("line %u: expected the algorithm's name"),
                                          lexer->token_line);
              return NULL;
            }
          entry->algorithm = gcert_rfc2136_algorithm_lookup (lexer->text);
          if (entry->algorithm == NULL)
            {
              /* only a name that looks like an algorithm is quoted */
              gboolean quote = g_ascii_strncasecmp (lexer->text, "hmac-", 5) == 0 &&
                               strlen (lexer->text) < 32;

              *problem = g_strdup_printf (_("line %u: unsupported TSIG algorithm%s%s%s: "
                                            "use one of %s"),
                                          lexer->token_line, quote ? " “" : "",
                                          quote ? lexer->text : "", quote ? "”" : "",
                                          GCERT_RFC2136_ALGORITHM_LIST);
              return NULL;
            }
          if (!lexer_expect_semicolon (lexer, problem))
            return NULL;
        }
      else if (lexer->kind == TOKEN_WORD && g_ascii_strcasecmp (lexer->text, "secret") == 0)
        {
          lexer_next (lexer);
          if (lexer->kind != TOKEN_WORD && lexer->kind != TOKEN_STRING)
            {
              *problem = g_strdup_printf (_("line %u: expected the secret in quotes"),
                                          lexer->token_line);
              return NULL;
            }
          if (!gcert_rfc2136_is_base64 (lexer->text))
            {
              *problem = g_strdup_printf (_("line %u: the secret is not valid base64"),
                                          lexer->token_line);
              return NULL;
            }
          gcert_settings_free_secret (entry->secret);
          entry->secret = g_strdup (lexer->text);
          if (!lexer_expect_semicolon (lexer, problem))
            return NULL;
        }
      else if (lexer->kind == TOKEN_END || lexer->kind == TOKEN_BAD)
        {
          *problem = g_strdup_printf (_("line %u: the key statement is not closed with “};”"),
                                      entry->line);
          return NULL;
        }
      else
        {
          *problem = g_strdup_printf (_("line %u: only “algorithm” and “secret” may appear "
                                        "in a key statement"), lexer->token_line);
          return NULL;
        }
    }

  if (!lexer_expect_semicolon (lexer, problem))
    return NULL;
  if (entry->algorithm == NULL)
    {
      *problem = g_strdup_printf (_("line %u: the key “%s” has no algorithm"), entry->line,
                                  entry->name);
      return NULL;
    }
  if (entry->secret == NULL)
    {
      *problem = g_strdup_printf (_("line %u: the key “%s” has no secret"), entry->line,
                                  entry->name);
      return NULL;
    }
  return g_steal_pointer (&entry);
}

/* The key statements of a file in BIND's key format (what tsig-keygen and
 * ddns-confgen write), or NULL and a @problem that does not quote it. */
GPtrArray *
gcert_rfc2136_parse_key_file (const char  *text,
                              char       **problem)
{
  g_autoptr(GPtrArray) keys = NULL;
  Lexer lexer = { text, 1, TOKEN_END, NULL, 1 };

  keys = g_ptr_array_new_with_free_func ((GDestroyNotify) gcert_rfc2136_key_entry_free);
  lexer_next (&lexer);
  while (lexer.kind != TOKEN_END)
    {
      GCertRfc2136KeyEntry *entry;

      if (lexer.kind != TOKEN_WORD || g_ascii_strcasecmp (lexer.text, "key") != 0)
        {
          *problem = g_strdup_printf (_("line %u: expected a statement "
                                        "key \"NAME\" { algorithm ALGORITHM; secret \"BASE64\"; }; "
                                        "(a file with the secret alone goes in key-secret-file)"),
                                      lexer.token_line);
          g_clear_pointer (&lexer.text, gcert_settings_free_secret);
          return NULL;
        }
      entry = parse_key_statement (&lexer, problem);
      if (entry == NULL)
        {
          g_clear_pointer (&lexer.text, gcert_settings_free_secret);
          return NULL;
        }
      g_ptr_array_add (keys, entry);
    }
  if (keys->len == 0)
    {
      *problem = g_strdup (_("the file holds no key statement"));
      return NULL;
    }
  return g_steal_pointer (&keys);
}
