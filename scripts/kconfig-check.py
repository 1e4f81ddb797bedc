#!/usr/bin/python3
"""Parse the Buildroot package's Config.in the way Kconfig does (kconfiglib)
under stand-ins for the Buildroot symbols it uses, the way Buildroot declares
them, and fail on what Kconfig reports: a dependency loop or any other
warning.

usage: kconfig-check.py path/to/Config.in
"""
import os
import sys
import tempfile

import kconfiglib

# Buildroot's own declarations, reduced to their shape: the Go and toolchain
# conditions are true, and BR2_PACKAGE_SQLITE_NO_SYNC hangs under
# BR2_PACKAGE_SQLITE as in package/sqlite/Config.in.
STUBS = """
config BR2_PACKAGE_HOST_GO_TARGET_ARCH_SUPPORTS
    def_bool y
config BR2_PACKAGE_HOST_GO_TARGET_CGO_LINKING_SUPPORTS
    def_bool y
config BR2_TOOLCHAIN_HAS_THREADS
    def_bool y
config BR2_PACKAGE_HOST_GO
    bool
config BR2_PACKAGE_CA_CERTIFICATES
    bool "ca-certificates"
config BR2_PACKAGE_SQLITE
    bool "sqlite"
if BR2_PACKAGE_SQLITE
config BR2_PACKAGE_SQLITE_NO_SYNC
    bool "disable fsync"
endif
"""


def main():
    config_in = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as d:
        top = os.path.join(d, "Kconfig")
        with open(top, "w") as f:
            f.write(STUBS + 'source "%s"\n' % config_in)
        try:
            kconf = kconfiglib.Kconfig(top, warn_to_stderr=False)
        except kconfiglib.KconfigError as e:
            print("kconfig-check: %s: %s" % (sys.argv[1], e), file=sys.stderr)
            return 1
        if kconf.warnings:
            for w in kconf.warnings:
                print("kconfig-check: %s: %s" % (sys.argv[1], w),
                      file=sys.stderr)
            return 1
    print("kconfig-check: ok: %s" % sys.argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
