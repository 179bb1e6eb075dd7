# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Run on the server by the ssh deployer as
#   /bin/sh -c SCRIPT gcert-deploy DIR RELOAD LIMIT OWNER GROUP [NAME MODE SIZE]...
# with the files' bytes, one after the other, on standard input, followed
# by a line "commit" once gcert has seen "received". Reports "gcert WORD …"
# lines on standard output. Exit 1: nothing changed (unless the error says
# where the previous files were kept); 2: the reload failed.
set -u
old_umask=$(umask)
trap '' HUP PIPE
umask 077
dir=$1 reload=$2 limit=$3 owner=$4 group=$5
shift 5
work='' keep='' created='' count=0 had=0 bad=''
# set through eval from the numbered name_N, mode_N, size_N and old_N
name='' mode='' size='' pname='' pold=''
say () { printf 'gcert %s\n' "$*"; }
oneline () { printf '%s' "$1" | tr '\n\r\t' '   '; }
cleanup () { if [ -n "$work" ] && [ -z "$keep" ]; then rm -rf -- "$work"; fi; }
fail () { say error "$(oneline "$1")"; cleanup; exit 1; }
# runs a command; on failure, fails with the step and its last message
try () {
  step=$1; shift
  if out=$("$@" 2>&1 >/dev/null); then return 0; fi
  out=$(printf '%s\n' "$out" | sed '/^[[:space:]]*$/d' | tail -n 1)
  fail "$step${out:+: $out}"
}
# shellcheck disable=SC2317  # run through try
mkdirs () { umask 022 && mkdir -p -- "$1"; }
syncpaths () { sync -- "$@" 2>/dev/null || sync; }
say started
while [ $# -ge 3 ]; do
  count=$((count + 1))
  eval "name_$count=\$1 mode_$count=\$2 size_$count=\$3"
  shift 3
done
if [ ! -d "$dir" ]; then created=1; try "creating $dir" mkdirs "$dir"; fi
if [ -n "$(find "$dir/" -prune -perm -0002 2>/dev/null)" ]; then
  fail "$dir is writable by others"
fi
i=1
while [ $i -le $count ]; do
  eval "name=\$name_$i"
  if [ -L "$dir/$name" ]; then fail "$dir/$name is a symbolic link"; fi
  if [ -e "$dir/$name" ] && [ ! -f "$dir/$name" ]; then
    fail "$dir/$name is not a regular file"
  fi
  i=$((i + 1))
done
# mkdir never follows a symlink: a name someone else made is skipped
n=0
while [ -z "$work" ]; do
  w=$dir/.gcert-$$-$n
  if mkdir -m 700 -- "$w" 2>/dev/null; then
    work=$w
  elif [ -e "$w" ] || [ -L "$w" ]; then
    n=$((n + 1))
    if [ $n -ge 100 ]; then fail "no free temporary name in $dir"; fi
  else
    try "creating a temporary directory in $dir" mkdir -m 700 -- "$w"
    work=$w
  fi
done
i=1
while [ $i -le $count ]; do
  eval "name=\$name_$i mode=\$mode_$i size=\$size_$i"
  f=$work/new.$i
  # one byte per read: never consumes what belongs to the next file
  if ! dd bs=1 count="$size" of="$f" 2>"$work/dd.err"; then
    fail "writing $dir/$name: $(grep '^dd:' "$work/dd.err" | tail -n 1)"
  fi
  got=$(wc -c <"$f" | tr -d ' ')
  if [ "$got" != "$size" ]; then
    fail "receiving $name: the connection ended after $got of $size bytes"
  fi
  if [ -n "$owner" ]; then try "setting the owner of $name to $owner" chown -- "$owner" "$f"; fi
  if [ -n "$group" ]; then try "setting the group of $name to $group" chgrp -- "$group" "$f"; fi
  try "setting the mode of $name to $mode" chmod -- "$mode" "$f"
  i=$((i + 1))
done
rm -f -- "$work/dd.err"
syncpaths "$work"/new.*
say received
answer=
read -r answer || :
if [ "$answer" != commit ]; then
  rm -rf -- "$work"
  if [ -n "$created" ]; then rmdir -- "$dir" 2>/dev/null || :; fi
  say aborted
  exit 1
fi
# hard links keep the previous files while their names never go missing
i=1
while [ $i -le $count ]; do
  eval "name=\$name_$i"
  if [ -f "$dir/$name" ] && [ ! -L "$dir/$name" ]; then
    ln -- "$dir/$name" "$work/old.$i" 2>/dev/null ||
      try "keeping a copy of $dir/$name" cp -p -- "$dir/$name" "$work/old.$i"
    eval "old_$i=1"
    had=$((had + 1))
  else
    eval "old_$i="
  fi
  i=$((i + 1))
done
put_back () {
  bad=
  j=1
  while [ $j -le "$1" ]; do
    eval "pname=\$name_$j pold=\$old_$j"
    if [ -n "$pold" ]; then
      mv -f -- "$work/old.$j" "$dir/$pname" 2>/dev/null || bad="$bad $pname"
    else
      rm -f -- "$dir/$pname" 2>/dev/null || bad="$bad $pname"
    fi
    j=$((j + 1))
  done
  syncpaths "$dir"
  [ -z "$bad" ]
}
i=1
while [ $i -le $count ]; do
  eval "name=\$name_$i"
  if ! out=$(mv -f -- "$work/new.$i" "$dir/$name" 2>&1); then
    what="replacing $dir/$name: $(oneline "$out")"
    if put_back $((i - 1)); then fail "$what; the previous files are back in place"; fi
    keep=1
    fail "$what; putting back$bad failed, the previous files are in $work"
  fi
  i=$((i + 1))
done
syncpaths "$dir"
say swapped "$had"
if [ -z "$reload" ]; then cleanup; say 'done'; exit 0; fi
# the reload gets the login's umask and signals back, and is killed at
# the limit by a watchdog that lets go of the session's pipes
run_reload () {
  rm -f -- "$work/timed-out"
  ( trap - HUP PIPE; umask "$old_umask"; exec sh -c "$reload" ) \
    </dev/null >/dev/null 2>"$work/reload.err" &
  rpid=$!
  (
    n=0
    while kill -0 "$rpid" 2>/dev/null; do
      if [ $n -ge "$limit" ]; then
        : >"$work/timed-out"
        kill -TERM "$rpid" 2>/dev/null
        sleep 5
        if kill -0 "$rpid" 2>/dev/null; then kill -KILL "$rpid" 2>/dev/null; fi
        break
      fi
      sleep 1
      n=$((n + 1))
    done
  ) </dev/null >/dev/null 2>&1 &
  wait "$rpid"
}
outcome () {
  if [ -e "$work/timed-out" ]; then t=1; else t=0; fi
  say "$1" "$2" "$t" "$(tail -c 500 "$work/reload.err" 2>/dev/null | tr '\n\r\t' '   ')"
}
say reloading
run_reload
rc=$?
if [ $rc -eq 0 ]; then cleanup; say 'done'; exit 0; fi
outcome reload-failed "$rc"
if put_back "$count"; then
  say put-back "$had"
else
  keep=1
  say put-back-failed "$(oneline "putting back$bad failed; the previous files are in $work")"
fi
say reloading-again
run_reload
rc=$?
if [ $rc -eq 0 ]; then say rollback-reloaded; else outcome rollback-reload-failed "$rc"; fi
cleanup
if [ -n "$created" ] && [ "$had" -eq 0 ]; then rmdir -- "$dir" 2>/dev/null || :; fi
exit 2
