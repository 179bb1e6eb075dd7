/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include "gcert-dns.h"
#include "gcert-settings.h"

G_BEGIN_DECLS

/* The GIO extension point deployer plugins implement; the number is the
 * plugin ABI and changes only with an incompatible change of this interface. */
#define GCERT_DEPLOYER_EXTENSION_POINT "gcert-deployer-1"

/**
 * GCertDeployment:
 * @name: the certificate's name ("web", or "web@host1" for a per-target one)
 * @target: the name of the `[deploy TARGET]` group
 * @domains: the names the certificate carries
 * @version: the version being deployed (the live one)
 * @key_path: the private key (PKCS#8 PEM, 0600), absolute
 * @cert_path: the leaf certificate alone
 * @chain_path: the intermediates alone
 * @fullchain_path: the leaf followed by the intermediates
 * @not_after: when the certificate expires, as seconds since the epoch
 *
 * What is to be deployed. The files are the store's live version and do
 * not change while a deployment runs.
 */
typedef struct {
  const char         *name;
  const char         *target;
  const char * const *domains;
  guint               version;
  const char         *key_path;
  const char         *cert_path;
  const char         *chain_path;
  const char         *fullchain_path;
  gint64              not_after;
} GCertDeployment;

#define GCERT_TYPE_DEPLOYER (gcert_deployer_get_type ())
G_DECLARE_INTERFACE (GCertDeployer, gcert_deployer, GCERT, DEPLOYER, GObject)

/**
 * GCertDeployerInterface:
 * @setup: reads and validates the plugin's `[deploy NAME]` group; errors
 *   name the file, group and key (gcert_settings_set_error())
 * @deploy_async: puts the files in place and makes the service use them.
 *   All or nothing: when the service cannot be made to use the new files
 *   (a failed reload), the previous files are put back and the service is
 *   reloaded again, and the error says what failed and whether the rollback
 *   worked. @progress (nullable) receives lines such as "copying to
 *   web1:/etc/nginx/tls". May be called again for another certificate
 *   while one runs.
 */
struct _GCertDeployerInterface {
  GTypeInterface parent_iface;

  gboolean (*setup)         (GCertDeployer          *self,
                             GCertSettings          *settings,
                             GError                **error);
  void     (*deploy_async)  (GCertDeployer          *self,
                             const GCertDeployment  *deployment,
                             GCertProgressFunc       progress,
                             gpointer                progress_data,
                             GCancellable           *cancellable,
                             GAsyncReadyCallback     callback,
                             gpointer                user_data);
  gboolean (*deploy_finish) (GCertDeployer          *self,
                             GAsyncResult           *result,
                             GError                **error);
  /* optional: a host name that identifies the target, added to a
   * per-target certificate with `target-name = true` (ssh: its host) */
  char    *(*get_host_name) (GCertDeployer          *self);
};

gboolean gcert_deployer_setup         (GCertDeployer          *self,
                                       GCertSettings          *settings,
                                       GError                **error);
void     gcert_deployer_deploy_async  (GCertDeployer          *self,
                                       const GCertDeployment  *deployment,
                                       GCertProgressFunc       progress,
                                       gpointer                progress_data,
                                       GCancellable           *cancellable,
                                       GAsyncReadyCallback     callback,
                                       gpointer                user_data);
gboolean gcert_deployer_deploy_finish (GCertDeployer          *self,
                                       GAsyncResult           *result,
                                       GError                **error);
/* (transfer full) (nullable) */
char    *gcert_deployer_get_host_name (GCertDeployer          *self);

/* Deep copy, for deployers that keep it beyond the call. */
GCertDeployment *gcert_deployment_copy (const GCertDeployment *deployment);
void             gcert_deployment_free (GCertDeployment       *deployment);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertDeployment, gcert_deployment_free)

/* --- helpers shared by deployers -------------------------------------- */

/**
 * GCertDeployFile:
 * @source: the store file to copy
 * @name: the file name at the target
 * @mode: its mode
 *
 * One file of a deployment, as configured by the common keys of a
 * `[deploy]` group: `key-name` (default privkey.pem, mode `key-mode`,
 * default 0600), `fullchain-name` (fullchain.pem, `chain-mode` 0644),
 * and optionally `cert-name` and `chain-name` (not deployed unless set).
 */
typedef struct {
  char  *source;
  char  *name;
  guint  mode;
} GCertDeployFile;

typedef struct {
  GPtrArray *files;   /* GCertDeployFile*, the key first */
  char      *owner;   /* nullable: user name or uid */
  char      *group;   /* nullable: group name or gid */
} GCertDeployFiles;

/* The common file keys of a deployer group: key-name, fullchain-name,
 * cert-name, chain-name, key-mode, chain-mode, owner, group. Unknown keys
 * are not checked here; list these in gcert_settings_check_keys() through
 * GCERT_DEPLOY_FILE_KEYS. */
#define GCERT_DEPLOY_FILE_KEYS \
  "key-name", "fullchain-name", "cert-name", "chain-name", "key-mode", "chain-mode", \
  "owner", "group"

typedef struct _GCertDeployFileSpec GCertDeployFileSpec;
GCertDeployFileSpec *gcert_deploy_file_spec_new   (GCertSettings             *settings,
                                                   GError                   **error);
void                 gcert_deploy_file_spec_free  (GCertDeployFileSpec       *spec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertDeployFileSpec, gcert_deploy_file_spec_free)
/* the files of @deployment under this spec */
GCertDeployFiles    *gcert_deploy_file_spec_apply (const GCertDeployFileSpec *spec,
                                                   const GCertDeployment     *deployment);
void                 gcert_deploy_files_free      (GCertDeployFiles          *files);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertDeployFiles, gcert_deploy_files_free)

G_END_DECLS
