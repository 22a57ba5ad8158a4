# The native copier of the posix copy workers (copier.c; issue #14). Built by scripts/build-native.mjs
# from the root package's install script (listing.c: the posix walk's directory listing; -ffp-contract=off:
# its times are rounded as Node rounds them); Barge uses its JavaScript copier when this is not built.
{
  "targets": [
    {
      "target_name": "barge_copier",
      "sources": ["copier.c", "confine.c", "group.c", "publish.c", "hashes.c", "listing.c"],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-ffp-contract=off"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}
