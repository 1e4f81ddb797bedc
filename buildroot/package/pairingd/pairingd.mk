################################################################################
#
# pairingd
#
################################################################################

# The package builds the checkout this BR2_EXTERNAL tree belongs to. For a
# released version, set PAIRINGD_VERSION and PAIRINGD_SITE = $(call
# github,pairingd,pairingd,v$(PAIRINGD_VERSION)), drop PAIRINGD_SITE_METHOD
# and add the -go2 tarball's sha256 to pairingd.hash (buildroot/README.md).
PAIRINGD_VERSION = $(or $(shell git -C $(BR2_EXTERNAL_PAIRINGD_PATH) describe --tags --always --dirty 2>/dev/null),local)
PAIRINGD_SITE = $(BR2_EXTERNAL_PAIRINGD_PATH)/..
PAIRINGD_SITE_METHOD = local
PAIRINGD_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = \
	--exclude bin --exclude dist --exclude build --exclude buildroot

PAIRINGD_LICENSE = BSD-3-Clause
PAIRINGD_LICENSE_FILES = LICENSE

PAIRINGD_GOMOD = github.com/pairingd/pairingd
PAIRINGD_BUILD_TARGETS = cmd/pairingd
PAIRINGD_LDFLAGS = -s -w -X main.version=$(PAIRINGD_VERSION)
# The build tags of every pairingd build (make build, make dist, the
# tests), from build.tags in the package's source: a recursive variable,
# expanded in the build step, where $(@D) is the source. Space-separated,
# as golang-package passes them to -tags "...". PAIRINGD_CHECK_BUILD_TAGS
# stops the build if the file is missing.
PAIRINGD_TAGS = $(shell grep -Eo '^[A-Za-z0-9_.]+' $(@D)/build.tags 2>/dev/null)

# SQLite without the features pairingd does not use (sqlite-options.h in
# the source says how); with the system SQLite it changes nothing.
PAIRINGD_GO_ENV = CGO_CFLAGS="$(TARGET_CFLAGS) -include $(@D)/sqlite-options.h"

ifeq ($(BR2_PACKAGE_PAIRINGD_SYSTEM_SQLITE),y)
PAIRINGD_TAGS += libsqlite3
PAIRINGD_DEPENDENCIES += sqlite
ifeq ($(BR2_PACKAGE_SQLITE_NO_SYNC),y)
# A power cut must not lose a committed grant (Config.in says why this is
# not a Kconfig dependency).
define PAIRINGD_CHECK_SQLITE_SYNC
	@echo "pairingd: BR2_PACKAGE_PAIRINGD_SYSTEM_SQLITE needs BR2_PACKAGE_SQLITE_NO_SYNC off" >&2; exit 1
endef
PAIRINGD_PRE_CONFIGURE_HOOKS += PAIRINGD_CHECK_SQLITE_SYNC
endif
endif

# A downloaded tarball is vendored by Buildroot's download step; a local
# source is rsynced and is not, while the build runs with -mod=vendor and
# GOPROXY=off. Vendor it here, offline, from a Go module cache that already
# holds the modules: the developer's (PAIRINGD_GOMODCACHE, filled by any
# build of the checkout), unless the source already has vendor/ (make
# vendor-tree and PAIRINGD_OVERRIDE_SRCDIR).
PAIRINGD_GOMODCACHE ?= $(shell go env GOMODCACHE 2>/dev/null)

define PAIRINGD_VENDOR_LOCAL_SOURCE
	if [ ! -d $(@D)/vendor ]; then \
		cd $(@D) && $(HOST_GO_COMMON_ENV) GOFLAGS=-mod=mod GOPROXY=off \
			GOMODCACHE=$(PAIRINGD_GOMODCACHE) $(GO_BIN) mod vendor; \
	fi
endef
PAIRINGD_PRE_BUILD_HOOKS += PAIRINGD_VENDOR_LOCAL_SOURCE

# Without build.tags, PAIRINGD_TAGS would be empty and the build would go
# on without the tags every other build has.
define PAIRINGD_CHECK_BUILD_TAGS
	@grep -Eq '^[A-Za-z0-9_.]+' $(@D)/build.tags || { \
		echo "pairingd: $(@D)/build.tags is missing or lists no tags" >&2; \
		exit 1; }
endef
PAIRINGD_PRE_BUILD_HOOKS += PAIRINGD_CHECK_BUILD_TAGS

# A fixed uid and gid: the state (device identity, tokens) usually lives on a
# partition that outlives image rebuilds, where an automatic uid could change.
# In the video group for /dev/fb0 and the input group for /dev/input/event*.
PAIRINGD_UID = 871

define PAIRINGD_USERS
	pairingd $(PAIRINGD_UID) pairingd $(PAIRINGD_UID) * /var/lib/pairingd - video,input Device pairing daemon
endef

# The example configuration: until issuer (and client_id) are set, for
# example in a rootfs overlay, the daemon waits as "not configured". It may
# hold client_secret: root and the daemon's group read it.
define PAIRINGD_INSTALL_CONFIG
	$(INSTALL) -D -m 0640 $(@D)/pairingd.example.toml \
		$(TARGET_DIR)/etc/pairingd/pairingd.toml
endef
PAIRINGD_POST_INSTALL_TARGET_HOOKS += PAIRINGD_INSTALL_CONFIG

define PAIRINGD_PERMISSIONS
	/etc/pairingd/pairingd.toml f 0640 0 $(PAIRINGD_UID) - - - - -
endef

# The unit and the init script from the source tree, the same files the
# .deb ships and the tests run. No sysusers.d file: PAIRINGD_USERS makes
# the user (with its fixed uid) in the image's /etc/passwd already.
define PAIRINGD_INSTALL_INIT_SYSTEMD
	$(INSTALL) -D -m 0644 $(@D)/systemd/pairingd.service \
		$(TARGET_DIR)/usr/lib/systemd/system/pairingd.service
	$(PAIRINGD_INSTALL_CONSOLE_SYSTEMD)
endef

ifeq ($(BR2_PACKAGE_PAIRINGD_CONSOLE),y)
# The console.conf drop-in: tty1 for the service instead of its getty.
define PAIRINGD_INSTALL_CONSOLE_SYSTEMD
	$(INSTALL) -D -m 0644 $(@D)/systemd/console.conf \
		$(TARGET_DIR)/usr/lib/systemd/system/pairingd.service.d/console.conf
endef
# The init script runs the daemon without a tty: ask for the framebuffer.
define PAIRINGD_INSTALL_CONSOLE_SYSV
	mkdir -p $(TARGET_DIR)/etc/default
	printf 'PAIRINGD_ARGS="--display fb"\n' >$(TARGET_DIR)/etc/default/pairingd
endef
endif

define PAIRINGD_INSTALL_INIT_SYSV
	$(INSTALL) -D -m 0755 $(@D)/init/S80pairingd \
		$(TARGET_DIR)/etc/init.d/S80pairingd
	$(PAIRINGD_INSTALL_CONSOLE_SYSV)
endef

define PAIRINGD_LINUX_CONFIG_FIXUPS
	$(call KCONFIG_ENABLE_OPT,CONFIG_FB)
	$(call KCONFIG_ENABLE_OPT,CONFIG_DRM_FBDEV_EMULATION)
endef

$(eval $(golang-package))
