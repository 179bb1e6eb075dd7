/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * gcert_readers_parse:
 * @entries: the values of a `readers =` key: "alice" (a user account) or
 *   "@ssl-cert" (a group)
 *
 * Checks that every account exists. Returns: (transfer full) the entries
 * normalised ("user:NAME" or "group:NAME"), or %NULL with a
 * GCERT_ERROR_CONFIG error naming the entry.
 */
GStrv    gcert_readers_parse (const char * const  *entries,
                              GError             **error);

/**
 * gcert_readers_apply:
 * @root: the directory under which @key_file lies (the state directory)
 * @key_file: the private key of a live version
 * @readers: (nullable): entries as returned by gcert_readers_parse(); %NULL
 *   or empty takes every grant away
 *
 * Grants exactly @readers read access to @key_file and search access to
 * every directory from @root (included) down to it, with POSIX ACLs; grants
 * of accounts no longer listed are removed. Modes and owners stay as they
 * are (0600 files, 0700 directories), so nobody else gains access.
 */
gboolean gcert_readers_apply (const char          *root,
                              const char          *key_file,
                              const char * const  *readers,
                              GError             **error);

G_END_DECLS
