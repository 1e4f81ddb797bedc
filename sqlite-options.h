/*
 * sqlite-options.h: the SQLite features pairingd does not use, switched
 * off in every build (the Makefile, the Buildroot package and
 * scripts/buildroot-build.sh pass "-include" this file in CGO_CFLAGS).
 *
 * go-sqlite3 turns full-text search (FTS3) and R*Tree indexes on for every
 * program that links it, with -D options of its own that CGO_CFLAGS cannot
 * take back: they come after ours on the compiler's command line. A file
 * included with -include is read after every -D, as if it were the first
 * line of the source, so its #undef wins. pairingd keeps one small record
 * and never searches text or space; the two cost about 125 KB of the arm64
 * binary.
 */
#undef SQLITE_ENABLE_FTS3
#undef SQLITE_ENABLE_FTS3_PARENTHESIS
#undef SQLITE_ENABLE_RTREE
