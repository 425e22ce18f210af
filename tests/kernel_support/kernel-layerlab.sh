#!/bin/bash
# A stand-in for `layerlab run` backed by the kernel itself, to check the kernel_diff harness
# end to end: LAYERLAB_KDIFF_BIN=$PWD/tests/kernel_support/kernel-layerlab.sh cargo test --test
# kernel_diff kernel_diff should find no divergence. Needs root, GNU tar and setfattr/getfattr.
# It unpacks the OCI layer tars, turns .wh. files into char 0/0 whiteouts and opaque xattrs,
# mounts an overlay, runs the script and packs the upper layer back into OCI form.
shift
layers=()
while [ $# -gt 0 ]; do case $1 in --layer) layers+=("$2"); shift 2;; --script) script=$2; shift 2;; --upper-tar) up=$2; shift 2;; --merged-tar) mt=$2; shift 2;; *) echo "bad arg $1" >&2; exit 2;; esac; done
cwd=$PWD
t=$(mktemp -d /tmp/fakell.XXXX)
lower=""; i=0
for l in "${layers[@]}"; do
  i=$((i+1)); d=$t/L$i; mkdir $d; tar -C $d -xf "$cwd/$l"
  find $d -name '.wh..wh..opq' | while read -r f; do setfattr -n trusted.overlay.opaque -v y "$(dirname "$f")"; rm "$f"; done
  find $d -name '.wh.*' | while read -r f; do n=$(basename "$f"); rm "$f"; mknod "$(dirname "$f")/${n#.wh.}" c 0 0; done
  lower="$d${lower:+:$lower}"
done
mkdir $t/U $t/W $t/M
mount -t overlay overlay -o lowerdir=$lower,upperdir=$t/U,workdir=$t/W $t/M
body=$(cat "$cwd/$script")
(umask 022; cd $t/M && bash -c "$body")
st=$?
tar -C $t/M -cf "$cwd/$mt" .
umount $t/M
find $t/U -type c | while read -r f; do n=$(basename "$f"); rm "$f"; : > "$(dirname "$f")/.wh.$n"; done
find $t/U -type d | while read -r f; do v=$(getfattr --only-values -n trusted.overlay.opaque "$f" 2>/dev/null); [ "$v" = y ] && : > "$f/.wh..wh..opq"; done
tar -C $t/U -cf "$cwd/$up" .
rm -rf $t
exit $st
