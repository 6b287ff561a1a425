"""Renders the Kubernetes manifests in this folder from the code (services, ports, topics).

    .venv/bin/python deploy/k8s/render.py      # rewrites deploy/k8s/*.yaml; a test fails when they drift
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from shared.messaging.topics import ALL_TOPIC_NAMES  # noqa: E402
from shared.runtime.settings import DEFAULT_PORTS, SERVICES  # noqa: E402

HERE = Path(__file__).parent
NS = "estate"
IMAGE = "ghcr.io/estate/estate:0.1.0"
PARTITIONS, REPLICAS = 6, 3


def meta(name: str, **labels: str) -> dict:
    return {"name": name, "namespace": NS, "labels": {"app.kubernetes.io/part-of": "estate", **labels}}


def env_for(service: str) -> list[dict]:
    return [{"name": "ESTATE_DATABASE_URL",
             "valueFrom": {"secretKeyRef": {"name": f"estate-{service}-db-app", "key": "uri"}}},
            {"name": "ESTATE_DB_PREFIX", "value": "estate_"}]


def container(service: str, args: list[str], port: int, role: str) -> dict:
    probe = {"httpGet": {"path": "/health" if role == "api" else "/metrics", "port": port}, "periodSeconds": 10}
    return {"name": f"{service}-{role}", "image": IMAGE, "args": args, "ports": [{"containerPort": port, "name": "http"}],
            "envFrom": [{"configMapRef": {"name": "estate-config"}}, {"secretRef": {"name": "estate-secrets"}}],
            "env": env_for(service) + ([{"name": "ESTATE_PORT", "value": str(port)},
                                        {"name": "ESTATE_CONSUMERS_ENABLED", "value": "false"}] if role == "api" else
                                       [{"name": "ESTATE_METRICS_PORT", "value": str(port)}]),
            "readinessProbe": probe, "livenessProbe": {**probe, "failureThreshold": 6},
            "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True}}


def deployment(service: str, role: str, replicas: int) -> dict:
    port = DEFAULT_PORTS[service] if role == "api" else 9100
    args = ["serve", service] if role == "api" else ["consume", service]
    labels = {"app.kubernetes.io/name": f"{service}-{role}", "estate/service": service, "estate/role": role}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(f"{service}-{role}", **labels),
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app.kubernetes.io/name": f"{service}-{role}"}},
                     "template": {"metadata": {"labels": labels, "annotations": {
                         "prometheus.io/scrape": "true", "prometheus.io/port": str(port), "prometheus.io/path": "/metrics"}},
                         "spec": {"containers": [container(service, args, port, role)]}}}}


def service_object(service: str) -> dict:
    port = DEFAULT_PORTS[service]
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(service),
            "spec": {"selector": {"app.kubernetes.io/name": f"{service}-api"},
                     "ports": [{"name": "http", "port": port, "targetPort": port}]}}


def hpa(service: str) -> dict:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta(f"{service}-api"),
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"{service}-api"},
                     "minReplicas": 2, "maxReplicas": 10,
                     "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                                                                    "target": {"type": "Utilization", "averageUtilization": 70}}}]}}


def postgres(service: str) -> dict:
    return {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": meta(f"estate-{service}-db"),
            "spec": {"instances": 3, "storage": {"size": "20Gi"},
                     "bootstrap": {"initdb": {"database": f"estate_{service}", "owner": "estate"}},
                     "backup": {"barmanObjectStore": {"destinationPath": f"s3://estate-backups/{service}",
                                                      "s3Credentials": {"inheritFromIAMRole": True}},
                                "retentionPolicy": "30d"}}}


def kafka() -> list[dict]:
    pool = {"apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaNodePool",
            "metadata": {**meta("dual-role"), "labels": {"strimzi.io/cluster": "estate"}},
            "spec": {"replicas": REPLICAS, "roles": ["controller", "broker"],
                     "storage": {"type": "persistent-claim", "size": "50Gi", "deleteClaim": False}}}
    cluster = {"apiVersion": "kafka.strimzi.io/v1beta2", "kind": "Kafka",
               "metadata": {**meta("estate"), "annotations": {"strimzi.io/node-pools": "enabled", "strimzi.io/kraft": "enabled"}},
               "spec": {"kafka": {"version": "4.1.0", "listeners": [{"name": "plain", "port": 9092, "type": "internal", "tls": False}],
                                  "config": {"default.replication.factor": REPLICAS, "min.insync.replicas": 2,
                                             "offsets.topic.replication.factor": REPLICAS,
                                             "transaction.state.log.replication.factor": REPLICAS,
                                             "transaction.state.log.min.isr": 2, "auto.create.topics.enable": False}},
                        "entityOperator": {"topicOperator": {}, "userOperator": {}}}}
    return [pool, cluster]


def topic(name: str) -> dict:
    safe = name.replace(".", "-").replace("_", "-")
    return {"apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaTopic",
            "metadata": {**meta(safe), "labels": {"strimzi.io/cluster": "estate"}},
            "spec": {"topicName": name, "partitions": PARTITIONS, "replicas": REPLICAS,
                     "config": {"min.insync.replicas": 2, "retention.ms": 604_800_000 if not name.endswith(".dlq") else 2_592_000_000}}}


def migrate_job() -> dict:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta("estate-migrate"),
            "spec": {"backoffLimit": 3, "template": {"spec": {"restartPolicy": "OnFailure", "containers": [
                {"name": f"migrate-{s}", "image": IMAGE, "args": ["migrate", "--service", s],
                 "envFrom": [{"configMapRef": {"name": "estate-config"}}, {"secretRef": {"name": "estate-secrets"}}],
                 "env": env_for(s)} for s in SERVICES]}}}}


def documents() -> dict[str, list[dict]]:
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("estate-config"),
              "data": {"ESTATE_KAFKA": "estate-kafka-bootstrap:9092", "ESTATE_PARTITIONS": str(PARTITIONS),
                       "ESTATE_REPLICATION_FACTOR": str(REPLICAS), "ESTATE_KAFKA_IDEMPOTENCE": "true",
                       "ESTATE_CONSUMER_FETCH_WAIT_MS": "500",
                       "ESTATE_HOST": "0.0.0.0", "ESTATE_LOG_LEVEL": "INFO"}}
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": meta("estate-secrets"), "type": "Opaque",
              "stringData": {"ESTATE_JWT_SECRET": "REPLACE-with-32+-random-bytes",
                             "ESTATE_PII_KEY": "REPLACE-with-32+-random-bytes"}}
    return {
        "namespace.yaml": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}],
        "config.yaml": [config, secret],
        "services.yaml": [d for s in SERVICES for d in (deployment(s, "api", 2), service_object(s), hpa(s),
                                                        deployment(s, "consumer", 2))],
        "postgres.yaml": [postgres(s) for s in SERVICES],
        "kafka.yaml": kafka(),
        "topics.yaml": [topic(n) for n in ALL_TOPIC_NAMES],
        "migrate-job.yaml": [migrate_job()],
    }


def render() -> dict[str, str]:
    header = "# Generated by deploy/k8s/render.py from the code; edit the script, not this file.\n"
    return {name: header + yaml.safe_dump_all(docs, sort_keys=False) for name, docs in documents().items()}


if __name__ == "__main__":
    for name, text in render().items():
        (HERE / name).write_text(text, encoding="utf-8")
        print(HERE / name)
