#!/usr/bin/env sh
# Creates the Secret the dev overlay expects, with random passwords (nothing secret is committed):
#   deploy/k8s/overlays/dev/create-secret.sh && kubectl apply -k deploy/k8s/overlays/dev
set -eu
NS=${NAMESPACE:-microbazaar-dev}
rand() { node -e "process.stdout.write(require('node:crypto').randomBytes(18).toString('hex'))"; }
PG=$(rand); REDIS=$(rand); MQ=$(rand)
DB="postgres://postgres:${PG}@postgres:5432/microbazaar"
kubectl get namespace "$NS" >/dev/null 2>&1 || kubectl create namespace "$NS"
kubectl -n "$NS" create secret generic microbazaar-secrets \
  --from-literal=postgres-password="$PG" \
  --from-literal=redis-password="$REDIS" \
  --from-literal=rabbitmq-password="$MQ" \
  --from-literal=migrate-database-url="$DB" \
  --from-literal=auth-database-url="$DB" \
  --from-literal=product-database-url="$DB" \
  --from-literal=cart-database-url="$DB" \
  --from-literal=order-database-url="$DB" \
  --from-literal=payment-database-url="$DB" \
  --from-literal=notification-database-url="$DB" \
  --from-literal=assistant-database-url="$DB" \
  --from-literal=redis-url="redis://:${REDIS}@redis:6379" \
  --from-literal=rabbitmq-url="amqp://microbazaar:${MQ}@rabbitmq:5672" \
  --from-literal=jwt-key-encryption-secret="$(rand)" \
  --from-literal=cart-id-secret="$(rand)$(rand)" \
  --from-literal=admin-password="$(rand)" \
  --dry-run=client -o yaml | kubectl apply -f -
echo "created microbazaar-secrets in $NS (admin password: kubectl -n $NS get secret microbazaar-secrets -o jsonpath='{.data.admin-password}' | base64 -d)"
