/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <ldns/ldns.h>
#include <string.h>
#include <sys/random.h>

#include "gcert-dns.h"
#include "gcert-error.h"

/* ldns blocks for the whole timeout, so keep a single try short and bounded */
#define QUERY_TIMEOUT_SECONDS  2
#define QUERY_TRIES            2
#define EDNS_UDP_SIZE          1232
#define MAX_CNAME_HOPS         8
#define SYSTEM_RESOLV_CONF     "/etc/resolv.conf"

#define POLL_INTERVAL_FIRST_MS 250
#define POLL_INTERVAL_MAX_MS   4000

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ldns_resolver, ldns_resolver_deep_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ldns_pkt, ldns_pkt_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ldns_rdf, ldns_rdf_deep_free)

/* Where a query goes: one server, or the system's resolvers. */
typedef struct {
  char         *label;     /* for messages */
  GInetAddress *address;   /* NULL: the resolvers of resolv.conf */
  guint16       port;
  gboolean      recursive;
} DnsTarget;

static void
dns_target_free (DnsTarget *target)
{
  g_free (target->label);
  g_clear_object (&target->address);
  g_free (target);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DnsTarget, dns_target_free)

/* "HOST", "HOST:PORT", "[V6]:PORT" or a bare IPv6 address; blocks when HOST
 * is a name that has to be resolved. */
static DnsTarget *
dns_target_parse (const char    *server,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autoptr(GSocketConnectable) connectable = NULL;
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GError) local_error = NULL;
  DnsTarget *target;
  const char *host;
  guint16 port;

  connectable = g_network_address_parse (server, 53, &local_error);
  if (connectable == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("invalid DNS server “%s”: %s"), server, local_error->message);
      return NULL;
    }
  host = g_network_address_get_hostname (G_NETWORK_ADDRESS (connectable));
  port = g_network_address_get_port (G_NETWORK_ADDRESS (connectable));
  if (port == 0)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("invalid DNS server “%s”: port 0"), server);
      return NULL;
    }

  address = g_inet_address_new_from_string (host);
  if (address == NULL)
    {
      g_autoptr(GResolver) resolver = g_resolver_get_default ();
      GList *addresses;

      addresses = g_resolver_lookup_by_name (resolver, host, cancellable, &local_error);
      if (addresses == NULL)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK,
                       _("cannot resolve DNS server “%s”: %s"), server,
                       local_error->message);
          return NULL;
        }
      address = g_object_ref (addresses->data);
      g_resolver_free_addresses (addresses);
    }

  target = g_new0 (DnsTarget, 1);
  target->label = g_strdup (server);
  target->address = g_steal_pointer (&address);
  target->port = port;
  return target;
}

/* The system's resolvers; GCERT_DNS_RESOLVER ("HOST:PORT") replaces them,
 * for tests that bring their own DNS. */
static DnsTarget *
dns_target_new_system (GCancellable  *cancellable,
                       GError       **error)
{
  const char *override = g_getenv ("GCERT_DNS_RESOLVER");
  DnsTarget *target;

  if (override != NULL && *override != '\0')
    {
      target = dns_target_parse (override, cancellable, error);
      if (target == NULL)
        {
          g_prefix_error (error, "GCERT_DNS_RESOLVER: ");
          return NULL;
        }
    }
  else
    {
      target = g_new0 (DnsTarget, 1);
      target->label = g_strdup (_("the system resolver"));
    }
  target->recursive = TRUE;
  return target;
}

static char *
format_server (GInetAddress *address,
               guint16       port)
{
  g_autofree char *text = g_inet_address_to_string (address);

  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", text, port);
  return g_strdup_printf ("%s:%u", text, port);
}

/* A fresh resolver for every try: ldns marks a server that failed once as
 * unreachable for the rest of the resolver's life. */
static ldns_resolver *
dns_target_new_resolver (const DnsTarget  *target,
                         gboolean          tcp,
                         GError          **error)
{
  g_autoptr(ldns_resolver) res = NULL;
  struct timeval timeout = { QUERY_TIMEOUT_SECONDS, 0 };

  if (target->address == NULL)
    {
      ldns_status status;

      status = ldns_resolver_new_frm_file (&res, SYSTEM_RESOLV_CONF);
      if (status != LDNS_STATUS_OK || res == NULL)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK,
                       _("cannot read %s: %s"), SYSTEM_RESOLV_CONF,
                       ldns_get_errorstr_by_id (status));
          return NULL;
        }
      if (ldns_resolver_nameserver_count (res) == 0)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK,
                       _("no nameserver in %s"), SYSTEM_RESOLV_CONF);
          return NULL;
        }
      ldns_resolver_set_recursive (res, TRUE);
    }
  else
    {
      g_autoptr(ldns_rdf) ns = NULL;
      gsize size = g_inet_address_get_native_size (target->address);

      res = ldns_resolver_new ();
      if (res == NULL)
        {
          g_set_error_literal (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("out of memory"));
          return NULL;
        }
      ns = ldns_rdf_new_frm_data (size == 4 ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
                                  size, g_inet_address_to_bytes (target->address));
      if (ns == NULL || ldns_resolver_push_nameserver (res, ns) != LDNS_STATUS_OK)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                       _("cannot use DNS server %s"), target->label);
          return NULL;
        }
      ldns_resolver_set_port (res, target->port);
      ldns_resolver_set_recursive (res, target->recursive);
    }

  ldns_resolver_set_timeout (res, timeout);
  ldns_resolver_set_retry (res, 1);
  ldns_resolver_set_retrans (res, 0);
  ldns_resolver_set_fallback (res, FALSE);
  ldns_resolver_set_defnames (res, FALSE);
  ldns_resolver_set_dnsrch (res, FALSE);
  ldns_resolver_set_dnssec (res, FALSE);
  ldns_resolver_set_usevc (res, tcp);
  return g_steal_pointer (&res);
}

static const char *
rr_type_name (ldns_rr_type type)
{
  switch (type)
    {
    case LDNS_RR_TYPE_TXT:
      return "TXT";
    case LDNS_RR_TYPE_SOA:
      return "SOA";
    case LDNS_RR_TYPE_NS:
      return "NS";
    case LDNS_RR_TYPE_A:
      return "A";
    case LDNS_RR_TYPE_AAAA:
      return "AAAA";
    default:
      return "?";
    }
}

/* ldns would ask OpenSSL, whose start-up costs megabytes of memory, for
 * the two bytes of an unpredictable query id; the kernel has them. */
static guint16
random_query_id (void)
{
  guint16 id;

  if (getrandom (&id, sizeof id, 0) != sizeof id)
    id = (guint16) g_random_int ();
  return id;
}

/* One question, UDP first and TCP when the answer is truncated, a bounded
 * number of tries; checks @cancellable between tries. */
static ldns_pkt *
dns_exchange (const DnsTarget  *target,
              const ldns_rdf   *qname,
              ldns_rr_type      type,
              GCancellable     *cancellable,
              GError          **error)
{
  gboolean tcp = FALSE;
  ldns_status last_status = LDNS_STATUS_OK;
  guint attempt = 0;

  while (attempt < QUERY_TRIES)
    {
      g_autoptr(ldns_resolver) res = NULL;
      g_autoptr(ldns_pkt) query = NULL;
      g_autoptr(ldns_pkt) reply = NULL;
      ldns_status status;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;

      res = dns_target_new_resolver (target, tcp, error);
      if (res == NULL)
        return NULL;

      query = ldns_pkt_query_new (ldns_rdf_clone (qname), type, LDNS_RR_CLASS_IN,
                                  target->recursive ? LDNS_RD : 0);
      if (query == NULL)
        {
          g_set_error_literal (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("out of memory"));
          return NULL;
        }
      ldns_pkt_set_id (query, random_query_id ());
      ldns_pkt_set_edns_udp_size (query, EDNS_UDP_SIZE);

      status = ldns_send (&reply, res, query);
      attempt++;
      if (status != LDNS_STATUS_OK || reply == NULL)
        {
          last_status = status != LDNS_STATUS_OK ? status : LDNS_STATUS_NETWORK_ERR;
          continue;
        }
      /* a stray or forged answer counts as no answer */
      if (ldns_pkt_id (reply) != ldns_pkt_id (query))
        {
          last_status = LDNS_STATUS_NETWORK_ERR;
          continue;
        }
      if (!tcp && ldns_pkt_tc (reply))
        {
          tcp = TRUE;
          attempt = 0;
          continue;
        }
      return g_steal_pointer (&reply);
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  {
    g_autofree char *name = ldns_rdf2str (qname);

    g_debug ("%s: %s", target->label, ldns_get_errorstr_by_id (last_status));
    g_set_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK,
                 _("no answer from %s for %s %s after %u tries of %u s"),
                 target->label, rr_type_name (type), name, QUERY_TRIES,
                 QUERY_TIMEOUT_SECONDS);
  }
  return NULL;
}

/* NOERROR and NXDOMAIN are answers; anything else is the server failing. */
static gboolean
check_rcode (const DnsTarget  *target,
             const ldns_rdf   *qname,
             ldns_rr_type      type,
             const ldns_pkt   *reply,
             GError          **error)
{
  ldns_pkt_rcode rcode = ldns_pkt_get_rcode (reply);
  g_autofree char *name = NULL;
  g_autofree char *rcode_text = NULL;

  if (rcode == LDNS_RCODE_NOERROR || rcode == LDNS_RCODE_NXDOMAIN)
    return TRUE;

  name = ldns_rdf2str (qname);
  rcode_text = ldns_pkt_rcode2str (rcode);
  g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
               _("%s answered %s for %s %s"), target->label,
               rcode_text != NULL ? rcode_text : "?", rr_type_name (type), name);
  return FALSE;
}

static ldns_rdf *
dname_from_string (const char  *fqdn,
                   GError     **error)
{
  ldns_rdf *qname = NULL;

  if (*fqdn != '\0' && strlen (fqdn) <= 254)
    qname = ldns_dname_new_frm_str (fqdn);
  if (qname == NULL)
    g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                 _("invalid DNS name “%s”"), fqdn);
  return qname;
}

/* Follows the CNAME chain from @qname inside one answer section; returns the
 * last name of the chain (@qname itself without a CNAME), owned by @reply. */
static const ldns_rdf *
follow_cnames (const ldns_pkt *reply,
               const ldns_rdf *qname)
{
  ldns_rr_list *answer = ldns_pkt_answer (reply);
  const ldns_rdf *current = qname;

  for (guint hop = 0; hop < MAX_CNAME_HOPS; hop++)
    {
      const ldns_rdf *next = NULL;

      for (gsize i = 0; answer != NULL && i < ldns_rr_list_rr_count (answer); i++)
        {
          ldns_rr *rr = ldns_rr_list_rr (answer, i);

          if (ldns_rr_get_type (rr) == LDNS_RR_TYPE_CNAME &&
              ldns_rr_rd_count (rr) == 1 &&
              ldns_dname_compare (ldns_rr_owner (rr), current) == 0)
            {
              next = ldns_rr_rdf (rr, 0);
              break;
            }
        }
      if (next == NULL)
        break;
      current = next;
    }
  return current;
}

/* One value per RR: the character-strings of a TXT record joined. */
static char *
txt_rr_to_value (const ldns_rr *rr)
{
  g_autoptr(GString) value = g_string_new (NULL);

  for (gsize i = 0; i < ldns_rr_rd_count (rr); i++)
    {
      const ldns_rdf *rdf = ldns_rr_rdf (rr, i);
      const guint8 *data = ldns_rdf_data (rdf);
      gsize size = ldns_rdf_size (rdf);
      gsize length;

      if (ldns_rdf_get_type (rdf) != LDNS_RDF_TYPE_STR || size == 0)
        return NULL;
      length = MIN ((gsize) data[0], size - 1);
      g_string_append_len (value, (const char *) data + 1, length);
    }
  /* a value with a NUL byte cannot match anything we look for */
  if (memchr (value->str, '\0', value->len) != NULL)
    return NULL;
  return g_string_free (g_steal_pointer (&value), FALSE);
}

static GStrv
query_txt_sync (const DnsTarget  *target,
                const char       *fqdn,
                GCancellable     *cancellable,
                GError          **error)
{
  g_autoptr(ldns_rdf) qname = NULL;
  g_autoptr(ldns_pkt) reply = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const ldns_rdf *owner;
  ldns_rr_list *answer;

  qname = dname_from_string (fqdn, error);
  if (qname == NULL)
    return NULL;
  reply = dns_exchange (target, qname, LDNS_RR_TYPE_TXT, cancellable, error);
  if (reply == NULL)
    return NULL;
  if (!check_rcode (target, qname, LDNS_RR_TYPE_TXT, reply, error))
    return NULL;

  owner = follow_cnames (reply, qname);
  answer = ldns_pkt_answer (reply);
  for (gsize i = 0; answer != NULL && i < ldns_rr_list_rr_count (answer); i++)
    {
      ldns_rr *rr = ldns_rr_list_rr (answer, i);
      g_autofree char *value = NULL;

      if (ldns_rr_get_type (rr) != LDNS_RR_TYPE_TXT ||
          ldns_dname_compare (ldns_rr_owner (rr), owner) != 0)
        continue;
      value = txt_rr_to_value (rr);
      if (value != NULL)
        g_strv_builder_add (builder, value);
    }
  return g_strv_builder_end (builder);
}

typedef struct {
  char *server;
  char *fqdn;
} QueryData;

static void
query_data_free (QueryData *data)
{
  g_free (data->server);
  g_free (data->fqdn);
  g_free (data);
}

/* A question for @server (NULL: the system's resolver) about @fqdn
 * (taken), answered by @thread in a worker: ldns blocks. */
static void
run_query_in_thread (const char          *server,
                     char                *fqdn,
                     gpointer             source_tag,
                     GTaskThreadFunc      thread,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  QueryData *data = g_new0 (QueryData, 1);

  g_task_set_source_tag (task, source_tag);
  data->server = g_strdup (server);
  data->fqdn = fqdn;
  g_task_set_task_data (task, data, (GDestroyNotify) query_data_free);
  /* the worker may block for a few seconds more; the caller need not wait */
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, thread);
}

static void
query_txt_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  QueryData *data = task_data;
  g_autoptr(DnsTarget) target = NULL;
  g_autoptr(GError) error = NULL;
  GStrv values;

  if (data->server != NULL)
    target = dns_target_parse (data->server, cancellable, &error);
  else
    target = dns_target_new_system (cancellable, &error);
  if (target == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  values = query_txt_sync (target, data->fqdn, cancellable, &error);
  if (values == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, values, (GDestroyNotify) g_strfreev);
}

/**
 * gcert_dns_query_txt_async:
 * @server: (nullable): "HOST", "HOST:PORT" or "[V6]:PORT"; %NULL for the
 *   system's resolver (with recursion)
 * @fqdn: the name to ask for
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Asks @server directly for the TXT records at @fqdn, with recursion off.
 */
void
gcert_dns_query_txt_async (const char          *server,
                           const char          *fqdn,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (fqdn != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  run_query_in_thread (server, g_strdup (fqdn), gcert_dns_query_txt_async, query_txt_thread,
                       cancellable, callback, user_data);
}

/**
 * gcert_dns_query_txt_finish:
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the values, one per record; empty when there is
 *   no record
 */
GStrv
gcert_dns_query_txt_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, gcert_dns_query_txt_async), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* CNAME chains */

static GStrv
resolve_cname_sync (const char    *fqdn,
                    const char    *server,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_autoptr(DnsTarget) target = NULL;
  g_autoptr(ldns_rdf) current = NULL;
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func (g_free);

  current = dname_from_string (fqdn, error);
  if (current == NULL)
    return NULL;
  target = server != NULL ? dns_target_parse (server, cancellable, error)
                          : dns_target_new_system (cancellable, error);
  if (target == NULL)
    return NULL;
  /* an authoritative server gives the chain only as far as its own zones
   * reach: ask again where its answer ends */
  target->recursive = TRUE;

  while (TRUE)
    {
      g_autoptr(ldns_pkt) reply = NULL;
      const ldns_rdf *end;
      const ldns_rdf *hop;
      ldns_rr_list *answer;
      guint before = chain->len;

      reply = dns_exchange (target, current, LDNS_RR_TYPE_TXT, cancellable, error);
      if (reply == NULL)
        return NULL;
      if (!check_rcode (target, current, LDNS_RR_TYPE_TXT, reply, error))
        return NULL;

      end = follow_cnames (reply, current);
      answer = ldns_pkt_answer (reply);
      hop = current;
      while (ldns_dname_compare (hop, end) != 0)
        {
          const ldns_rdf *next = NULL;
          g_autofree char *raw = NULL;
          g_autofree char *text = NULL;

          for (gsize i = 0; answer != NULL && i < ldns_rr_list_rr_count (answer); i++)
            {
              ldns_rr *rr = ldns_rr_list_rr (answer, i);

              if (ldns_rr_get_type (rr) == LDNS_RR_TYPE_CNAME &&
                  ldns_rr_rd_count (rr) == 1 &&
                  ldns_dname_compare (ldns_rr_owner (rr), hop) == 0)
                {
                  next = ldns_rr_rdf (rr, 0);
                  break;
                }
            }
          g_assert (next != NULL);
          raw = ldns_rdf2str (next);
          text = g_ascii_strdown (raw, -1);
          if (g_strcmp0 (text, fqdn) == 0 ||
              g_ptr_array_find_with_equal_func (chain, text, g_str_equal, NULL))
            {
              g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                           _("the CNAME chain at %s loops at %s"), fqdn, text);
              return NULL;
            }
          g_ptr_array_add (chain, g_steal_pointer (&text));
          if (chain->len > MAX_CNAME_HOPS)
            {
              g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                           _("the CNAME chain at %s is longer than %u names"), fqdn,
                           MAX_CNAME_HOPS);
              return NULL;
            }
          hop = next;
        }
      if (chain->len == before)
        break;
      g_clear_pointer (&current, ldns_rdf_deep_free);
      current = ldns_rdf_clone (end);
    }

  g_ptr_array_add (chain, NULL);
  return (GStrv) g_ptr_array_steal (chain, NULL);
}

static void
resolve_cname_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  QueryData *data = task_data;
  g_autoptr(GError) error = NULL;
  GStrv chain;

  chain = resolve_cname_sync (data->fqdn, data->server, cancellable, &error);
  if (chain == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, chain, (GDestroyNotify) g_strfreev);
}

/**
 * gcert_dns_resolve_cname_async:
 * @fqdn: a name, lowercase, with its trailing dot
 * @server: (nullable): "HOST:PORT" to ask, or %NULL for the system's resolver
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Follows the CNAME chain that starts at @fqdn.
 */
void
gcert_dns_resolve_cname_async (const char          *fqdn,
                               const char          *server,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (fqdn != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  run_query_in_thread (server, g_ascii_strdown (fqdn, -1), gcert_dns_resolve_cname_async,
                       resolve_cname_thread, cancellable, callback, user_data);
}

/**
 * gcert_dns_resolve_cname_finish:
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the names the chain leads through, in order,
 *   lowercase with trailing dots; empty when @fqdn is not an alias
 */
GStrv
gcert_dns_resolve_cname_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, gcert_dns_resolve_cname_async),
                        NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The zone cut: an SOA at the name itself, or the SOA a NODATA/NXDOMAIN
 * answer carries in its authority section; otherwise one label up. */
static ldns_rdf *
find_zone_sync (const DnsTarget  *system,
                const ldns_rdf   *qname,
                GCancellable     *cancellable,
                GError          **error)
{
  g_autoptr(ldns_rdf) current = ldns_rdf_clone (qname);

  while (TRUE)
    {
      g_autoptr(ldns_pkt) reply = NULL;
      g_autoptr(ldns_rdf) parent = NULL;
      ldns_rr_list *answer;
      ldns_rr_list *authority;
      gboolean is_alias;

      reply = dns_exchange (system, current, LDNS_RR_TYPE_SOA, cancellable, error);
      if (reply == NULL)
        return NULL;
      if (!check_rcode (system, current, LDNS_RR_TYPE_SOA, reply, error))
        return NULL;

      answer = ldns_pkt_answer (reply);
      for (gsize i = 0; answer != NULL && i < ldns_rr_list_rr_count (answer); i++)
        {
          ldns_rr *rr = ldns_rr_list_rr (answer, i);

          if (ldns_rr_get_type (rr) == LDNS_RR_TYPE_SOA &&
              ldns_dname_compare (ldns_rr_owner (rr), current) == 0)
            return g_steal_pointer (&current);
        }

      /* behind a CNAME the authority section describes the target's zone */
      is_alias = follow_cnames (reply, current) != current;
      authority = ldns_pkt_authority (reply);
      for (gsize i = 0; !is_alias && authority != NULL &&
           i < ldns_rr_list_rr_count (authority); i++)
        {
          ldns_rr *rr = ldns_rr_list_rr (authority, i);

          if (ldns_rr_get_type (rr) == LDNS_RR_TYPE_SOA &&
              (ldns_dname_compare (ldns_rr_owner (rr), current) == 0 ||
               ldns_dname_is_subdomain (current, ldns_rr_owner (rr))))
            return ldns_rdf_clone (ldns_rr_owner (rr));
        }

      if (ldns_dname_label_count (current) == 0)
        break;
      parent = ldns_dname_left_chop (current);
      if (parent == NULL)
        break;
      g_clear_pointer (&current, ldns_rdf_deep_free);
      current = g_steal_pointer (&parent);
    }

  {
    g_autofree char *name = ldns_rdf2str (qname);

    g_set_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                 _("no zone found for %s"), name);
  }
  return NULL;
}

/* Port 53, or GCERT_DNS_AUTHORITATIVE_PORT: tests serve their zones on a
 * free port of 127.0.0.1, not on port 53. */
static guint16
authoritative_port (void)
{
  const char *text = g_getenv ("GCERT_DNS_AUTHORITATIVE_PORT");
  guint64 port;

  if (text != NULL && g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT16, &port, NULL))
    return (guint16) port;
  return 53;
}

static void
add_addresses (const DnsTarget  *system,
               const ldns_rdf   *host,
               ldns_rr_type      type,
               GPtrArray        *out,
               GCancellable     *cancellable,
               GError          **error)
{
  g_autoptr(ldns_pkt) reply = NULL;
  const ldns_rdf *owner;
  ldns_rr_list *answer;

  reply = dns_exchange (system, host, type, cancellable, error);
  if (reply == NULL)
    return;
  if (!check_rcode (system, host, type, reply, error))
    return;

  owner = follow_cnames (reply, host);
  answer = ldns_pkt_answer (reply);
  for (gsize i = 0; answer != NULL && i < ldns_rr_list_rr_count (answer); i++)
    {
      ldns_rr *rr = ldns_rr_list_rr (answer, i);
      const ldns_rdf *rdf;
      g_autoptr(GInetAddress) address = NULL;
      g_autofree char *server = NULL;

      if (ldns_rr_get_type (rr) != type || ldns_rr_rd_count (rr) != 1 ||
          ldns_dname_compare (ldns_rr_owner (rr), owner) != 0)
        continue;
      rdf = ldns_rr_rdf (rr, 0);
      if (type == LDNS_RR_TYPE_A && ldns_rdf_size (rdf) == 4)
        address = g_inet_address_new_from_bytes (ldns_rdf_data (rdf), G_SOCKET_FAMILY_IPV4);
      else if (type == LDNS_RR_TYPE_AAAA && ldns_rdf_size (rdf) == 16)
        address = g_inet_address_new_from_bytes (ldns_rdf_data (rdf), G_SOCKET_FAMILY_IPV6);
      else
        continue;
      server = format_server (address, authoritative_port ());
      if (!g_ptr_array_find_with_equal_func (out, server, g_str_equal, NULL))
        g_ptr_array_add (out, g_steal_pointer (&server));
    }
}

static GStrv
find_authoritative_sync (const char    *fqdn,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_autoptr(DnsTarget) system = NULL;
  g_autoptr(ldns_rdf) qname = NULL;
  g_autoptr(ldns_rdf) zone = NULL;
  g_autoptr(ldns_pkt) reply = NULL;
  g_autoptr(GPtrArray) servers = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) last_error = NULL;
  g_autofree char *zone_name = NULL;
  ldns_rr_list *answer;
  guint ns_count = 0;

  qname = dname_from_string (fqdn, error);
  if (qname == NULL)
    return NULL;
  system = dns_target_new_system (cancellable, error);
  if (system == NULL)
    return NULL;
  zone = find_zone_sync (system, qname, cancellable, error);
  if (zone == NULL)
    return NULL;
  zone_name = ldns_rdf2str (zone);

  reply = dns_exchange (system, zone, LDNS_RR_TYPE_NS, cancellable, error);
  if (reply == NULL)
    return NULL;
  if (!check_rcode (system, zone, LDNS_RR_TYPE_NS, reply, error))
    return NULL;

  answer = ldns_pkt_answer (reply);
  for (gsize i = 0; answer != NULL && i < ldns_rr_list_rr_count (answer); i++)
    {
      ldns_rr *rr = ldns_rr_list_rr (answer, i);
      const ldns_rdf *host;
      guint before = servers->len;

      if (ldns_rr_get_type (rr) != LDNS_RR_TYPE_NS || ldns_rr_rd_count (rr) != 1 ||
          ldns_dname_compare (ldns_rr_owner (rr), zone) != 0)
        continue;
      host = ldns_rr_rdf (rr, 0);
      ns_count++;

      /* Each server once, over IPv4 where it has it: an AAAA we cannot reach
       * would otherwise hold up every propagation check until its timeout. */
      g_clear_error (&last_error);
      add_addresses (system, host, LDNS_RR_TYPE_A, servers, cancellable, &last_error);
      if (servers->len == before)
        {
          g_clear_error (&last_error);
          add_addresses (system, host, LDNS_RR_TYPE_AAAA, servers, cancellable,
                         &last_error);
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
    }

  if (servers->len == 0)
    {
      if (last_error != NULL)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&last_error),
                                      _("no address for the nameservers of %s: "),
                                      zone_name);
        }
      else if (ns_count == 0)
        g_set_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                     _("no NS records for %s"), zone_name);
      else
        g_set_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                     _("no address for the nameservers of %s"), zone_name);
      return NULL;
    }

  g_ptr_array_add (servers, NULL);
  return (GStrv) g_ptr_array_steal (servers, NULL);
}

static void
find_authoritative_thread (GTask        *task,
                           gpointer      source_object,
                           gpointer      task_data,
                           GCancellable *cancellable)
{
  const char *fqdn = task_data;
  g_autoptr(GError) error = NULL;
  GStrv servers;

  servers = find_authoritative_sync (fqdn, cancellable, &error);
  if (servers == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, servers, (GDestroyNotify) g_strfreev);
}

/**
 * gcert_dns_find_authoritative_async:
 * @fqdn: a name in the zone
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Finds the authoritative servers of the zone @fqdn is in, through the
 * system's resolver: SOA to find the zone cut, then its NS records and their
 * addresses.
 */
void
gcert_dns_find_authoritative_async (const char          *fqdn,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (fqdn != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_dns_find_authoritative_async);
  g_task_set_task_data (task, g_strdup (fqdn), g_free);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, find_authoritative_thread);
}

/**
 * gcert_dns_find_authoritative_finish:
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): "ADDRESS:53" strings
 */
GStrv
gcert_dns_find_authoritative_finish (GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, gcert_dns_find_authoritative_async),
                        NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Propagation check */

typedef struct {
  char      *fqdn;      /* as asked */
  char      *target;    /* the name polled: @fqdn, or where its CNAME leads */
  char      *value;
  GStrv      servers;
  gboolean  *served;
  gboolean  *unreachable;  /* the last query got no answer at all */
  char     **last_errors;
  gboolean   discovered;   /* the servers are the zone's authoritative ones */
  gboolean   use_system;   /* they did not answer: the system resolver instead */
  guint      rounds;
  gint64     started;
  gint64     deadline;
  guint      timeout_seconds;
  guint      interval_ms;
  guint      pending;
  GCertProgressFunc progress;
  gpointer   progress_data;
  GSource   *sleep_source;
  GSource   *cancel_source;
} WaitData;

static void
wait_data_free (WaitData *data)
{
  if (data->sleep_source != NULL)
    g_source_destroy (data->sleep_source);
  g_clear_pointer (&data->sleep_source, g_source_unref);
  if (data->cancel_source != NULL)
    g_source_destroy (data->cancel_source);
  g_clear_pointer (&data->cancel_source, g_source_unref);
  g_free (data->fqdn);
  g_free (data->target);
  g_free (data->value);
  if (data->servers != NULL)
    {
      for (guint i = 0; data->servers[i] != NULL; i++)
        g_free (data->last_errors[i]);
    }
  g_free (data->last_errors);
  g_strfreev (data->servers);
  g_free (data->served);
  g_free (data->unreachable);
  g_free (data);
}

typedef struct {
  GTask *task;
  guint  index;
} WaitQuery;

static void wait_round (GTask *task);

static void
wait_stop_sources (WaitData *data)
{
  if (data->sleep_source != NULL)
    {
      g_source_destroy (data->sleep_source);
      g_clear_pointer (&data->sleep_source, g_source_unref);
    }
  if (data->cancel_source != NULL)
    {
      g_source_destroy (data->cancel_source);
      g_clear_pointer (&data->cancel_source, g_source_unref);
    }
}

static void
wait_return_error (GTask  *task,
                   GError *error)
{
  wait_stop_sources (g_task_get_task_data (task));
  g_task_return_error (task, error);
}

/* "a:53, b:53 (no answer …)" */
static char *
wait_describe_lacking (WaitData *data,
                       gboolean  with_errors,
                       guint    *out_count)
{
  g_autoptr(GString) text = g_string_new (NULL);
  guint count = 0;

  for (guint i = 0; data->servers[i] != NULL; i++)
    {
      if (data->served[i])
        continue;
      if (count++ > 0)
        g_string_append (text, ", ");
      g_string_append (text, data->servers[i]);
      if (with_errors && data->last_errors[i] != NULL)
        g_string_append_printf (text, " (%s)", data->last_errors[i]);
    }
  *out_count = count;
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static gboolean
same_name (const char *a,
           const char *b)
{
  gsize la = strlen (a);
  gsize lb = strlen (b);

  if (la > 0 && a[la - 1] == '.')
    la--;
  if (lb > 0 && b[lb - 1] == '.')
    lb--;
  return la == lb && g_ascii_strncasecmp (a, b, la) == 0;
}

static char *
wait_describe_name (WaitData *data)
{
  if (same_name (data->fqdn, data->target))
    return g_strdup (data->fqdn);
  /* TRANSLATORS: a challenge name and the name its CNAME points to */
  return g_strdup_printf (_("%s (alias of %s)"), data->fqdn, data->target);
}

static gboolean
wait_sleep_cb (gpointer user_data)
{
  GTask *task = user_data;
  WaitData *data = g_task_get_task_data (task);

  g_clear_pointer (&data->sleep_source, g_source_unref);
  wait_round (task);
  return G_SOURCE_REMOVE;
}

static gboolean
wait_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  GTask *task = user_data;
  WaitData *data = g_task_get_task_data (task);

  /* during a round the queries return on cancellation by themselves */
  if (data->sleep_source != NULL)
    {
      g_autoptr(GTask) keep = g_object_ref (task);
      GError *error = NULL;

      g_cancellable_set_error_if_cancelled (cancellable, &error);
      wait_return_error (task, error);
    }
  return G_SOURCE_REMOVE;
}

/* Port 53 to the authoritative servers is often blocked behind corporate
 * firewalls: when none of them answers at all, ask the system's resolver. */
static gboolean
wait_maybe_fall_back (GTask *task)
{
  WaitData *data = g_task_get_task_data (task);
  g_autofree char *servers = NULL;
  guint n = g_strv_length (data->servers);

  if (!data->discovered || data->use_system || data->rounds != 1)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      if (!data->unreachable[i])
        return FALSE;
    }

  servers = g_strjoinv (", ", data->servers);
  if (data->progress != NULL)
    {
      g_autofree char *message = NULL;

      message = g_strdup_printf (_("the authoritative servers of %s (%s) do not answer "
                                   "(is outbound port 53 blocked?); checking through the "
                                   "system resolver instead"),
                                 data->target, servers);
      data->progress (message, data->progress_data);
    }

  for (guint i = 0; i < n; i++)
    g_free (data->last_errors[i]);
  g_strfreev (data->servers);
  g_free (data->served);
  g_free (data->unreachable);
  g_free (data->last_errors);
  data->servers = g_new0 (char *, 2);
  data->servers[0] = g_strdup (_("the system resolver"));
  data->served = g_new0 (gboolean, 1);
  data->unreachable = g_new0 (gboolean, 1);
  data->last_errors = g_new0 (char *, 2);
  data->use_system = TRUE;
  wait_round (task);
  return TRUE;
}

static void
wait_round_done (GTask *task)
{
  WaitData *data = g_task_get_task_data (task);
  g_autofree char *lacking = NULL;
  g_autofree char *name = NULL;
  gint64 now = g_get_monotonic_time ();
  guint elapsed = (guint) ((now - data->started) / G_USEC_PER_SEC);
  guint total = g_strv_length (data->servers);
  guint count;
  guint delay_ms;

  if (g_task_return_error_if_cancelled (task))
    {
      wait_stop_sources (data);
      return;
    }

  data->rounds++;
  lacking = wait_describe_lacking (data, FALSE, &count);
  if (count == 0)
    {
      wait_stop_sources (data);
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (wait_maybe_fall_back (task))
    return;

  name = wait_describe_name (data);
  if (now >= data->deadline)
    {
      g_autofree char *details = wait_describe_lacking (data, TRUE, &count);

      wait_return_error (task,
                         g_error_new (GCERT_ERROR, GCERT_ERROR_TIMED_OUT,
                                      _("TXT record at %s still missing after %u s "
                                        "at %u of %u servers: %s"),
                                      name, data->timeout_seconds, count, total,
                                      details));
      return;
    }

  if (data->progress != NULL)
    {
      g_autofree char *message = NULL;

      message = g_strdup_printf (_("waiting for TXT record at %s: missing at %u of %u "
                                   "servers (%s), %u s elapsed"),
                                 name, count, total, lacking, elapsed);
      data->progress (message, data->progress_data);
    }

  delay_ms = (guint) MIN ((gint64) data->interval_ms,
                          (data->deadline - now + 999) / 1000);
  data->interval_ms = MIN (data->interval_ms * 3 / 2, POLL_INTERVAL_MAX_MS);

  data->sleep_source = g_timeout_source_new (delay_ms);
  g_source_set_name (data->sleep_source, "[gcert] dns propagation poll");
  g_source_set_priority (data->sleep_source, g_task_get_priority (task));
  g_source_set_callback (data->sleep_source, wait_sleep_cb,
                         g_object_ref (task), g_object_unref);
  g_source_attach (data->sleep_source, g_task_get_context (task));
}

static void
wait_query_cb (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autofree WaitQuery *query = user_data;
  g_autoptr(GTask) task = query->task;
  WaitData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) values = NULL;

  values = gcert_dns_query_txt_finish (result, &error);
  g_clear_pointer (&data->last_errors[query->index], g_free);
  data->unreachable[query->index] = values == NULL &&
                                    g_error_matches (error, GCERT_ERROR, GCERT_ERROR_NETWORK);
  if (values == NULL)
    data->last_errors[query->index] = g_strdup (error->message);
  else if (g_strv_contains ((const char * const *) values, data->value))
    data->served[query->index] = TRUE;

  g_assert (data->pending > 0);
  data->pending--;
  if (data->pending == 0)
    wait_round_done (task);
}

static void
wait_round (GTask *task)
{
  WaitData *data = g_task_get_task_data (task);

  g_assert (data->pending == 0);
  for (guint i = 0; data->servers[i] != NULL; i++)
    {
      WaitQuery *query;

      if (data->served[i])
        continue;
      query = g_new0 (WaitQuery, 1);
      query->task = g_object_ref (task);
      query->index = i;
      data->pending++;
      gcert_dns_query_txt_async (data->use_system ? NULL : data->servers[i], data->target,
                                 g_task_get_cancellable (task),
                                 wait_query_cb, query);
    }
  if (data->pending == 0)
    wait_round_done (task);
}

static void
wait_start (GTask *task,
            GStrv  servers)
{
  WaitData *data = g_task_get_task_data (task);
  guint n = g_strv_length (servers);

  /* a typo in a server fails now rather than after the whole timeout */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GSocketConnectable) connectable = NULL;
      g_autoptr(GError) error = NULL;

      connectable = g_network_address_parse (servers[i], 53, &error);
      if (connectable == NULL ||
          g_network_address_get_port (G_NETWORK_ADDRESS (connectable)) == 0)
        {
          GError *invalid = g_error_new (GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                                         _("invalid DNS server “%s”%s%s"), servers[i],
                                         error != NULL ? ": " : "",
                                         error != NULL ? error->message : "");

          g_strfreev (servers);
          wait_return_error (task, invalid);
          return;
        }
    }

  data->servers = servers;
  data->served = g_new0 (gboolean, n);
  data->unreachable = g_new0 (gboolean, n);
  data->last_errors = g_new0 (char *, n + 1);
  wait_round (task);
}

typedef struct {
  char  *target;
  GStrv  servers;
} Located;

static void
located_free (Located *located)
{
  g_free (located->target);
  g_strfreev (located->servers);
  g_free (located);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Located, located_free)

/* Where a challenge name's CNAME leads (through the system's resolver), and
 * the authoritative servers of that name's zone. */
static void
locate_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  const char *fqdn = task_data;
  g_autoptr(DnsTarget) system = NULL;
  g_autoptr(ldns_rdf) qname = NULL;
  g_autoptr(ldns_pkt) reply = NULL;
  g_autoptr(Located) located = g_new0 (Located, 1);
  g_autoptr(GError) error = NULL;

  qname = dname_from_string (fqdn, &error);
  if (qname == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  system = dns_target_new_system (cancellable, &error);
  if (system == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  reply = dns_exchange (system, qname, LDNS_RR_TYPE_TXT, cancellable, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  located->target = ldns_rdf2str (follow_cnames (reply, qname));
  located->servers = find_authoritative_sync (located->target, cancellable, &error);
  if (located->servers == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&located), (GDestroyNotify) located_free);
}

static void
wait_located_cb (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  WaitData *data = g_task_get_task_data (task);
  g_autoptr(Located) located = NULL;
  g_autoptr(GError) error = NULL;

  located = g_task_propagate_pointer (G_TASK (result), &error);
  if (located == NULL)
    {
      g_prefix_error (&error, _("finding the authoritative servers of %s: "), data->fqdn);
      wait_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* the name as ldns prints it, with its trailing dot */
  g_free (data->target);
  data->target = g_steal_pointer (&located->target);
  data->discovered = TRUE;
  wait_start (task, g_steal_pointer (&located->servers));
}

/**
 * gcert_dns_wait_for_txt_async:
 * @fqdn: the challenge name
 * @value: the TXT value to wait for
 * @servers: (nullable): "HOST:PORT" strings, or %NULL for the authoritative
 *   servers of the zone (following a CNAME at @fqdn)
 * @timeout_seconds: how long to wait at most
 * @progress: (nullable): called after each round that left servers lacking
 * @progress_data: data for @progress
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Polls every server until each serves @value at @fqdn. Timers use the
 * thread-default main context.
 */
void
gcert_dns_wait_for_txt_async (const char          *fqdn,
                              const char          *value,
                              const char * const  *servers,
                              guint                timeout_seconds,
                              GCertProgressFunc    progress,
                              gpointer             progress_data,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  WaitData *data;

  g_return_if_fail (fqdn != NULL);
  g_return_if_fail (value != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_dns_wait_for_txt_async);

  data = g_new0 (WaitData, 1);
  data->fqdn = g_strdup (fqdn);
  data->target = g_strdup (fqdn);
  data->value = g_strdup (value);
  data->timeout_seconds = timeout_seconds;
  data->interval_ms = POLL_INTERVAL_FIRST_MS;
  data->progress = progress;
  data->progress_data = progress_data;
  data->started = g_get_monotonic_time ();
  data->deadline = data->started + (gint64) timeout_seconds * G_USEC_PER_SEC;
  g_task_set_task_data (task, data, (GDestroyNotify) wait_data_free);

  if (g_task_return_error_if_cancelled (task))
    return;

  if (cancellable != NULL)
    {
      data->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (data->cancel_source, G_SOURCE_FUNC (wait_cancelled_cb),
                             g_object_ref (task), g_object_unref);
      g_source_attach (data->cancel_source, g_task_get_context (task));
    }

  if (servers != NULL && servers[0] != NULL)
    {
      wait_start (task, g_strdupv ((GStrv) servers));
    }
  else if (servers != NULL)
    {
      wait_return_error (task,
                         g_error_new_literal (GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                                              _("no DNS server to check")));
    }
  else
    {
      g_autoptr(GTask) locate = g_task_new (NULL, cancellable, wait_located_cb,
                                            g_object_ref (task));

      g_task_set_source_tag (locate, locate_thread);
      g_task_set_task_data (locate, g_strdup (fqdn), g_free);
      g_task_set_return_on_cancel (locate, TRUE);
      g_task_run_in_thread (locate, locate_thread);
    }
}

/**
 * gcert_dns_wait_for_txt_finish:
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: %TRUE once every server served the value
 */
gboolean
gcert_dns_wait_for_txt_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, gcert_dns_wait_for_txt_async),
                        FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
