/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#define __GCERT_H_INSIDE__

#include "gcert-error.h"
#include "gcert-key.h"
#include "gcert-jose.h"
#include "gcert-csr.h"
#include "gcert-certificate.h"
#include "gcert-fileutil.h"
#include "gcert-subprocess.h"
#include "gcert-settings.h"
#include "gcert-config.h"
#include "gcert-store.h"
#include "gcert-renewal.h"
#include "gcert-dns.h"
#include "gcert-dns-provider.h"
#include "gcert-deployer.h"
#include "gcert-dns-router.h"
#include "gcert-dns-check.h"
#include "gcert-plugin-loader.h"
#include "gcert-acme-client.h"
#include "gcert-order.h"
#include "gcert-manager.h"

#undef __GCERT_H_INSIDE__
