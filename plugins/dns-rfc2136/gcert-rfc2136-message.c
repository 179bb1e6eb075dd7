/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "gcert-error.h"
#include "gcert-rfc2136-private.h"

/* DNS messages on the wire: finding the TSIG record of an answer, signing
 * and verifying (RFC 8945) with GnuTLS's HMAC, since ldns 1.8 signs with
 * only some of the algorithms servers offer (not hmac-sha224 nor
 * hmac-sha384), and sending over GSocket, so that the GCancellable
 * interrupts a wait and a closed port fails at once. */

#define FIRST_RETRANSMIT_US      (G_USEC_PER_SEC / 2)
#define MAX_UDP_MESSAGE          512
#define MAX_ANSWER               65535
#define MAX_DIGEST_LENGTH        64

#define RR_TYPE_TSIG             250
#define RR_CLASS_ANY             255

/* --- wire format ---------------------------------------------------------- */

static guint16
get_u16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static void
set_u16 (guint8  *p,
         guint16  value)
{
  p[0] = value >> 8;
  p[1] = value & 0xff;
}

static void
put_u16 (GByteArray *array,
         guint16     value)
{
  guint8 bytes[2];

  set_u16 (bytes, value);
  g_byte_array_append (array, bytes, sizeof bytes);
}

static void
put_u32 (GByteArray *array,
         guint32     value)
{
  put_u16 (array, value >> 16);
  put_u16 (array, value & 0xffff);
}

static void
put_u48 (GByteArray *array,
         guint64     value)
{
  put_u16 (array, (value >> 32) & 0xffff);
  put_u32 (array, value & 0xffffffff);
}

/* @name: a normalized name (see gcert_rfc2136_normalize_name()), uncompressed */
static void
put_name (GByteArray *array,
          const char *name)
{
  const char *p = name;

  while (*p != '\0' && *p != '.')
    {
      const char *dot = strchr (p, '.');
      guint8 length = dot - p;

      g_byte_array_append (array, &length, 1);
      g_byte_array_append (array, (const guint8 *) p, length);
      p = dot + 1;
    }
  g_byte_array_append (array, (const guint8 *) "", 1);
}

/* The name at *@offset of @wire, following compression pointers, as
 * lowercase text with the trailing dot; *@offset moves past it. */
static char *
read_name (const guint8 *wire,
           gsize         length,
           gsize        *offset)
{
  g_autoptr(GString) name = g_string_new (NULL);
  gsize position = *offset;
  gsize end = 0;
  gboolean jumped = FALSE;
  guint hops = 0;

  while (TRUE)
    {
      guint8 label;

      if (position >= length)
        return NULL;
      label = wire[position];
      if ((label & 0xc0) == 0xc0)
        {
          if (position + 1 >= length || ++hops > 64)
            return NULL;
          if (!jumped)
            end = position + 2;
          jumped = TRUE;
          position = ((label & 0x3f) << 8) | wire[position + 1];
          continue;
        }
      if ((label & 0xc0) != 0)
        return NULL;
      if (label == 0)
        {
          if (!jumped)
            end = position + 1;
          break;
        }
      if (position + 1 + label > length || name->len + label + 1 > 255)
        return NULL;
      for (guint i = 0; i < label; i++)
        g_string_append_c (name, g_ascii_tolower (wire[position + 1 + i]));
      g_string_append_c (name, '.');
      position += 1 + label;
    }
  if (name->len == 0)
    g_string_append_c (name, '.');
  *offset = end;
  return g_string_free (g_steal_pointer (&name), FALSE);
}

void
gcert_rfc2136_tsig_clear (GCertRfc2136Tsig *tsig)
{
  g_free (tsig->key_name);
  g_free (tsig->algorithm);
}

/* Walks every record of the message @wire; FALSE when it is malformed.
 * A TSIG record, always the last of the additional section, is returned
 * in @tsig. */
gboolean
gcert_rfc2136_find_tsig (const guint8     *wire,
                         gsize             length,
                         GCertRfc2136Tsig *tsig)
{
  gsize offset = GCERT_RFC2136_HEADER_SIZE;
  guint questions, records, additional;

  if (length < GCERT_RFC2136_HEADER_SIZE)
    return FALSE;
  questions = get_u16 (wire + 4);
  additional = get_u16 (wire + 10);
  records = get_u16 (wire + 6) + get_u16 (wire + 8) + additional;

  for (guint i = 0; i < questions; i++)
    {
      g_autofree char *name = read_name (wire, length, &offset);

      if (name == NULL || offset + 4 > length)
        return FALSE;
      offset += 4;
    }

  for (guint i = 0; i < records; i++)
    {
      gsize start = offset;
      g_autofree char *owner = read_name (wire, length, &offset);
      guint16 type, rdlength;
      gsize rdata, end;

      if (owner == NULL || offset + 10 > length)
        return FALSE;
      type = get_u16 (wire + offset);
      rdlength = get_u16 (wire + offset + 8);
      rdata = offset + 10;
      end = rdata + rdlength;
      if (end > length)
        return FALSE;
      offset = end;

      if (type != RR_TYPE_TSIG)
        continue;
      if (i != records - 1 || additional == 0)
        return FALSE;

      tsig->present = TRUE;
      tsig->start = start;
      tsig->key_name = g_steal_pointer (&owner);
      tsig->algorithm = read_name (wire, end, &rdata);
      if (tsig->algorithm == NULL || rdata + 10 > end)
        return FALSE;
      tsig->time_signed = ((guint64) get_u16 (wire + rdata) << 32) |
                          ((guint64) get_u16 (wire + rdata + 2) << 16) |
                          get_u16 (wire + rdata + 4);
      tsig->fudge = get_u16 (wire + rdata + 6);
      tsig->mac_length = get_u16 (wire + rdata + 8);
      rdata += 10;
      if (rdata + tsig->mac_length + 6 > end)
        return FALSE;
      tsig->mac = wire + rdata;
      rdata += tsig->mac_length;
      tsig->original_id = get_u16 (wire + rdata);
      tsig->error = get_u16 (wire + rdata + 2);
      tsig->other_length = get_u16 (wire + rdata + 4);
      rdata += 6;
      if (rdata + tsig->other_length != end)
        return FALSE;
      tsig->other = wire + rdata;
    }
  return offset == length;
}

/* --- TSIG ------------------------------------------------------------------- */

/* The MAC of RFC 8945 §4.3: the request's MAC (for an answer), the message
 * without its TSIG record, then the TSIG variables. */
static gboolean
tsig_compute (const GCertRfc2136Key *key,
              GBytes                *request_mac,
              const guint8          *message,
              gsize                  message_length,
              guint64                time_signed,
              guint16                fudge,
              guint16                tsig_error,
              const guint8          *other,
              gsize                  other_length,
              guint8                *out_mac)
{
  g_autoptr(GByteArray) data = g_byte_array_sized_new (message_length + 128);
  g_autofree char *algorithm = g_strconcat (key->algorithm->name, ".", NULL);

  if (request_mac != NULL)
    {
      gsize length = 0;
      const guint8 *mac = g_bytes_get_data (request_mac, &length);

      put_u16 (data, length);
      g_byte_array_append (data, mac, length);
    }
  g_byte_array_append (data, message, message_length);
  put_name (data, key->name);
  put_u16 (data, RR_CLASS_ANY);
  put_u32 (data, 0);
  put_name (data, algorithm);
  put_u48 (data, time_signed);
  put_u16 (data, fudge);
  put_u16 (data, tsig_error);
  put_u16 (data, other_length);
  if (other_length > 0)
    g_byte_array_append (data, other, other_length);

  return gnutls_hmac_fast (key->algorithm->mac, key->secret, key->secret_length,
                           data->data, data->len, out_mac) >= 0;
}

/* Appends a TSIG record to the complete message @message; returns its MAC. */
GBytes *
gcert_rfc2136_tsig_sign (const GCertRfc2136Key  *key,
                         GByteArray             *message,
                         GError                **error)
{
  g_autoptr(GByteArray) rdata = g_byte_array_new ();
  g_autofree char *algorithm = g_strconcat (key->algorithm->name, ".", NULL);
  guint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gsize mac_length = gnutls_hmac_get_len (key->algorithm->mac);
  guint8 mac[MAX_DIGEST_LENGTH];

  g_assert (mac_length <= sizeof mac);
  if (!tsig_compute (key, NULL, message->data, message->len, now, GCERT_RFC2136_TSIG_FUDGE, 0,
                     NULL, 0, mac))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                   _("cannot compute the %s signature"), key->algorithm->name);
      return NULL;
    }

  put_name (rdata, algorithm);
  put_u48 (rdata, now);
  put_u16 (rdata, GCERT_RFC2136_TSIG_FUDGE);
  put_u16 (rdata, mac_length);
  g_byte_array_append (rdata, mac, mac_length);
  put_u16 (rdata, get_u16 (message->data));
  put_u16 (rdata, 0);
  put_u16 (rdata, 0);

  put_name (message, key->name);
  put_u16 (message, RR_TYPE_TSIG);
  put_u16 (message, RR_CLASS_ANY);
  put_u32 (message, 0);
  put_u16 (message, rdata->len);
  g_byte_array_append (message, rdata->data, rdata->len);
  set_u16 (message->data + 10, get_u16 (message->data + 10) + 1);

  return g_bytes_new (mac, mac_length);
}

/* TRUE when @tsig signs @answer with our key: the MAC over the answer as it
 * was before the TSIG record was added (original id, one record less). */
gboolean
gcert_rfc2136_tsig_verify (const GCertRfc2136Key  *key,
                           GBytes                 *request_mac,
                           const guint8           *answer,
                           const GCertRfc2136Tsig *tsig)
{
  g_autofree char *algorithm = g_strconcat (key->algorithm->name, ".", NULL);
  g_autofree guint8 *message = NULL;
  gsize mac_length = gnutls_hmac_get_len (key->algorithm->mac);
  guint8 mac[MAX_DIGEST_LENGTH];
  guint8 difference = 0;

  if (!g_str_equal (tsig->key_name, key->name) ||
      !g_str_equal (tsig->algorithm, algorithm) ||
      tsig->mac_length != mac_length)
    return FALSE;

  message = g_memdup2 (answer, tsig->start);
  set_u16 (message, tsig->original_id);
  set_u16 (message + 10, get_u16 (message + 10) - 1);
  if (!tsig_compute (key, request_mac, message, tsig->start, tsig->time_signed, tsig->fudge,
                     tsig->error, tsig->other, tsig->other_length, mac))
    return FALSE;

  for (gsize i = 0; i < mac_length; i++)
    difference |= mac[i] ^ tsig->mac[i];
  return difference == 0;
}

/* --- transport ---------------------------------------------------------------- */

guint16
gcert_rfc2136_random_id (void)
{
  guint16 id;

  if (gnutls_rnd (GNUTLS_RND_NONCE, &id, sizeof id) < 0)
    id = g_random_int () & 0xffff;
  return id;
}

/* a transport error: cancellation as it is, the rest GCERT_ERROR_NETWORK */
static void
set_transport_error (GCertRfc2136Exchange  *exchange,
                     GError               **error,
                     GError                *cause)
{
  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, cause);
      return;
    }
  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_set_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK, _("no answer within %u s"),
                 exchange->timeout_seconds);
  else if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    g_set_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK,
                 _("connection refused: no DNS server listens there"));
  else
    g_set_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK, "%s", cause->message);
  g_error_free (cause);
}

static void
set_timed_out (GCertRfc2136Exchange  *exchange,
               GError               **error)
{
  set_transport_error (exchange, error,
                       g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, ""));
}

/* Sends @message over UDP, again with a growing interval, until an answer
 * with its id arrives or the deadline passes. */
static GBytes *
exchange_udp (GCertRfc2136Exchange  *exchange,
              const guint8          *message,
              gsize                  length,
              GError               **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autofree guint8 *buffer = g_malloc (MAX_ANSWER);
  GError *local_error = NULL;
  gint64 interval = FIRST_RETRANSMIT_US;
  guint16 id = get_u16 (message);

  socket = g_socket_new (g_socket_address_get_family (exchange->address),
                         G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &local_error);
  /* connected: the kernel drops datagrams from elsewhere and reports a
   * closed port */
  if (socket == NULL ||
      !g_socket_connect (socket, exchange->address, exchange->cancellable, &local_error))
    {
      set_transport_error (exchange, error, local_error);
      return NULL;
    }

  while (TRUE)
    {
      gint64 now = g_get_monotonic_time ();
      gint64 wait_until;

      if (now >= exchange->deadline)
        {
          set_timed_out (exchange, error);
          return NULL;
        }
      if (g_socket_send (socket, (const char *) message, length, exchange->cancellable,
                         &local_error) < 0)
        {
          set_transport_error (exchange, error, local_error);
          return NULL;
        }
      wait_until = MIN (now + interval, exchange->deadline);
      interval *= 2;

      while ((now = g_get_monotonic_time ()) < wait_until)
        {
          gssize received;

          if (!g_socket_condition_timed_wait (socket, G_IO_IN, wait_until - now,
                                              exchange->cancellable, &local_error))
            {
              if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
                {
                  g_clear_error (&local_error);
                  break;
                }
              set_transport_error (exchange, error, local_error);
              return NULL;
            }
          received = g_socket_receive (socket, (char *) buffer, MAX_ANSWER,
                                       exchange->cancellable, &local_error);
          if (received < 0)
            {
              if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                {
                  g_clear_error (&local_error);
                  continue;
                }
              set_transport_error (exchange, error, local_error);
              return NULL;
            }
          /* an answer to an earlier query, or not an answer: wait on */
          if (received < GCERT_RFC2136_HEADER_SIZE || get_u16 (buffer) != id ||
              (buffer[2] & 0x80) == 0)
            continue;
          return g_bytes_new (buffer, received);
        }
    }
}

static GBytes *
exchange_tcp (GCertRfc2136Exchange  *exchange,
              const guint8          *message,
              gsize                  length,
              GError               **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree guint8 *answer = NULL;
  GError *local_error = NULL;
  GOutputStream *output;
  GInputStream *input;
  gint64 remaining = exchange->deadline - g_get_monotonic_time ();
  guint8 prefix[2];
  gsize answer_length;
  gsize done = 0;

  if (remaining <= 0)
    {
      set_timed_out (exchange, error);
      return NULL;
    }
  g_socket_client_set_enable_proxy (client, FALSE);
  /* the timeout of the connection and of each read and write */
  g_socket_client_set_timeout (client, (remaining + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (exchange->address),
                                        exchange->cancellable, &local_error);
  if (connection == NULL)
    {
      set_transport_error (exchange, error, local_error);
      return NULL;
    }
  output = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));

  set_u16 (prefix, length);
  if (!g_output_stream_write_all (output, prefix, sizeof prefix, NULL, exchange->cancellable,
                                  &local_error) ||
      !g_output_stream_write_all (output, message, length, NULL, exchange->cancellable,
                                  &local_error) ||
      !g_input_stream_read_all (input, prefix, sizeof prefix, &done, exchange->cancellable,
                                &local_error))
    {
      set_transport_error (exchange, error, local_error);
      return NULL;
    }
  answer_length = get_u16 (prefix);
  if (done != sizeof prefix || answer_length < GCERT_RFC2136_HEADER_SIZE)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK,
                   _("the server closed the connection without an answer"));
      return NULL;
    }
  answer = g_malloc (answer_length);
  if (!g_input_stream_read_all (input, answer, answer_length, &done, exchange->cancellable,
                                &local_error))
    {
      set_transport_error (exchange, error, local_error);
      return NULL;
    }
  if (done != answer_length)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK,
                   _("the server closed the connection in the middle of its answer"));
      return NULL;
    }
  if (get_u16 (answer) != get_u16 (message) || (answer[2] & 0x80) == 0)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("the server answered with another message id"));
      return NULL;
    }
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return g_bytes_new_take (g_steal_pointer (&answer), answer_length);
}

/* UDP, and TCP when the message is too large for UDP or the answer was
 * truncated. */
GBytes *
gcert_rfc2136_exchange (GCertRfc2136Exchange  *exchange,
                        const guint8          *message,
                        gsize                  length,
                        GError               **error)
{
  if (length <= MAX_UDP_MESSAGE)
    {
      g_autoptr(GBytes) answer = exchange_udp (exchange, message, length, error);
      const guint8 *data;

      if (answer == NULL)
        return NULL;
      data = g_bytes_get_data (answer, NULL);
      if ((data[2] & 0x02) == 0)
        return g_steal_pointer (&answer);
      g_debug ("%s: truncated answer, asking again over TCP", exchange->server);
    }
  return exchange_tcp (exchange, message, length, error);
}
