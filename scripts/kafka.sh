#!/usr/bin/env bash
# Installs and runs a real Apache Kafka broker (KRaft, combined broker and
# controller, one node) for the integration tests. There is no Kafka tarball:
# the broker's runtime jars come from Maven Central (deploy/kafka/pom.xml)
# into the repo cache, and the JVM runs kafka.Kafka from them. Loopback only;
# the data under .run/kafka survives stop/start.
#
#   install                 copy the jars into the cache (once)
#   start | stop            run / stop the broker (both idempotent)
#   url                     its bootstrap address, 127.0.0.1:PORT
#   libs                    the jar directory (for tests that run their own)
#   topics ARGS...          kafka-topics, e.g. topics --list
#   console-consumer ARGS...  e.g. console-consumer --topic T --from-beginning
#   console-producer ARGS...  e.g. console-producer --topic T
#
# GPUBROKER_KAFKA_PORT (default 19092) and GPUBROKER_KAFKA_CONTROLLER_PORT
# (default 19093) choose the ports.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
version=4.1.1 # keep in step with deploy/kafka/pom.xml
port=${GPUBROKER_KAFKA_PORT:-19092}
controller_port=${GPUBROKER_KAFKA_CONTROLLER_PORT:-19093}
libs="$cache/kafka-$version/libs"
deploy="$root/deploy/kafka"
dir="$run/kafka"
data="$dir/data"
props="$dir/server.properties"
pidfile="$dir/kafka.pid"
logfile="$dir/kafka.log"
start_timeout=${GPUBROKER_KAFKA_START_TIMEOUT:-90} # seconds; 2 busy cores are slow

install() {
  # The pom is the source of truth: a changed pom means a fresh copy.
  local stamp="$libs/.pom.sha256" sum
  sum=$(sha256sum "$deploy/pom.xml" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && ls "$libs"/kafka_2.13-"$version".jar >/dev/null 2>&1; then
    return 0
  fi
  need_apt java openjdk-17-jre-headless
  need_apt mvn maven
  echo "installing Kafka $version jars from Maven Central into $libs" >&2
  local tmp="$libs.tmp.$$"
  rm -rf "$tmp"
  mvn -q -B -Dstyle.color=never -f "$deploy/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >&2
  echo "$sum" >"$tmp/.pom.sha256"
  rm -rf "$libs"
  mv "$tmp" "$libs"
}

# java_tool CLASS ARGS...: a Kafka command-line tool, logging WARN to stderr.
# C1 only: a short-lived JVM starts in about half the CPU time.
java_tool() {
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$deploy/log4j2.properties" \
    -Dgpubroker.kafka.log.level=WARN -Dgpubroker.kafka.log.target=SYSTEM_ERR \
    -cp "$libs/*" "$@"
}

# running: the pidfile names a live kafka.Kafka process (not a reused pid).
running() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka '
}

start() {
  install
  mkdir -p "$dir"
  if running; then
    echo "kafka already running (pid $(cat "$pidfile"))" >&2
    return 0
  fi
  rm -f "$pidfile"
  sed -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$controller_port|g" -e "s|@LOG_DIRS@|$data|g" \
    "$deploy/server.properties.tmpl" >"$props"
  # Format once per fresh data directory (-g: an already formatted one is fine).
  if [ ! -f "$data/meta.properties" ]; then
    local id
    id=$(java_tool kafka.tools.StorageTool random-uuid)
    java_tool kafka.tools.StorageTool format -t "$id" -c "$props" -g >"$dir/format.log" 2>&1 ||
      { cat "$dir/format.log" >&2; return 1; }
  fi
  # Its own session (like a daemon): the broker outlives this script and a
  # terminal's Ctrl-C; `stop` ends it. The pid written is java's (exec).
  : >"$logfile"
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" \
    java -Xms256m -Xmx512m -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$deploy/log4j2.properties" -Dkafka.logs.dir="$dir" \
    -cp "$libs/*" kafka.Kafka "$props" >>"$logfile" 2>&1 </dev/null &
  local t0=$SECONDS i
  # Ready when the listener accepts and the broker has logged its startup
  # (the port alone can accept before the broker has joined its quorum).
  for ((i = 0; i < start_timeout * 5; i++)); do
    if [ -s "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "kafka exited during startup; last lines of $logfile:" >&2
      tail -n 40 "$logfile" >&2
      return 1
    fi
    if grep -q 'Kafka Server started' "$logfile" 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "kafka $version listening on 127.0.0.1:$port (pid $(cat "$pidfile"), ready in $((SECONDS - t0))s)" >&2
      return 0
    fi
    sleep 0.2
  done
  echo "kafka did not start within ${start_timeout}s; last lines of $logfile:" >&2
  tail -n 40 "$logfile" >&2
  return 1
}

stop() {
  if ! running; then
    rm -f "$pidfile"
    return 0
  fi
  local pid i
  pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "kafka (pid $pid) still running 30s after SIGTERM; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  url) echo "127.0.0.1:$port" ;;
  libs) install; echo "$libs" ;;
  topics) install; java_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$port" "$@" ;;
  console-consumer) install; java_tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "127.0.0.1:$port" "$@" ;;
  console-producer) install; java_tool org.apache.kafka.tools.ConsoleProducer --bootstrap-server "127.0.0.1:$port" "$@" ;;
  *) echo "usage: $0 install|start|stop|url|libs|topics ARGS...|console-consumer ARGS...|console-producer ARGS..." >&2; exit 2 ;;
esac
