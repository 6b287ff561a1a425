"""The deployment files, checked structurally (no Docker engine here): services, ports, env, topics, metrics."""

from __future__ import annotations

import yaml

from shared.messaging.topics import ALL_TOPIC_NAMES, TOPIC_NAMES
from shared.runtime.settings import DEFAULT_PORTS, SERVICES
from tests.support.contract import CONTRACT_TOPIC_NAMES
from tests.support.deploy import ROOT, dashboard_metric_names

CONTRACT_ENV = {"ESTATE_DATABASE_URL", "ESTATE_KAFKA", "ESTATE_JWT_SECRET"}
PROM_FUNCTIONS = {
    "sum",
    "max",
    "min",
    "rate",
    "increase",
    "histogram_quantile",
    "time",
    "clamp_min",
    "by",
    "or",
    "and",
    "up",
    "label_values",
    "count",
    "avg",
}


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_every_service_on_its_contract_port_with_the_contract_env() -> None:
    services = compose()["services"]
    for name in SERVICES:
        api = services[name]
        assert api["command"] == ["serve", name]
        assert f"{DEFAULT_PORTS[name]}:{DEFAULT_PORTS[name]}" in api["ports"]
        assert set(api["environment"]) >= CONTRACT_ENV
        consumer = services[f"{name}-consumer"]
        assert consumer["command"] == ["consume", name] and consumer["deploy"]["replicas"] == 2
        assert set(consumer["environment"]) >= CONTRACT_ENV


def test_compose_infrastructure_kafka_kraft_postgres_prometheus_grafana() -> None:
    services = compose()["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert services["postgres"]["image"].startswith("postgres:")
    assert {"prometheus", "grafana"} <= set(services)
    init = services["init"]
    assert "estate topics" in " ".join(init["entrypoint"]) and "estate migrate" in " ".join(init["entrypoint"])
    assert {"ESTATE_PARTITIONS", "ESTATE_REPLICATION_FACTOR", "ESTATE_KAFKA"} <= set(init["environment"])
    assert services["leads"]["environment"]["ESTATE_KAFKA_IDEMPOTENCE"] == "true"


def test_three_broker_cluster_file() -> None:
    cluster = yaml.safe_load((ROOT / "deploy/compose/kafka-cluster.yml").read_text())["services"]
    brokers = [s for s in cluster.values() if str(s.get("image", "")).startswith("apache/kafka")]
    assert len(brokers) == 3
    for broker in brokers:
        assert broker["environment"]["KAFKA_MIN_INSYNC_REPLICAS"] == 2
        assert broker["environment"]["KAFKA_DEFAULT_REPLICATION_FACTOR"] == 3
    assert cluster["init"]["environment"]["ESTATE_REPLICATION_FACTOR"] == "3"


def test_deployed_topics_are_the_contracts_and_the_catalogues() -> None:
    """The Kubernetes topics (and `estate topics`, which compose's init runs) hold every contract topic and its
    .dlq, and nothing the catalogue does not know."""
    deployed = {
        d["spec"]["topicName"] if "topicName" in d.get("spec", {}) else d["metadata"]["name"]
        for d in k8s("topics.yaml")
    }
    assert CONTRACT_TOPIC_NAMES | {t + ".dlq" for t in CONTRACT_TOPIC_NAMES} <= deployed
    assert deployed == set(ALL_TOPIC_NAMES)
    assert set(TOPIC_NAMES) >= CONTRACT_TOPIC_NAMES


def k8s(name: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((ROOT / "deploy/k8s" / name).read_text()) if d]


def test_kubernetes_manifests_are_the_rendered_ones() -> None:
    from deploy.k8s.render import render

    for name, text in render().items():
        assert (ROOT / "deploy/k8s" / name).read_text() == text, f"deploy/k8s/{name} is stale: run render.py"


def test_kubernetes_has_every_service_port_env_and_an_hpa() -> None:
    docs = k8s("services.yaml")
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for name in SERVICES:
        assert ("Deployment", f"{name}-api") in kinds and ("Deployment", f"{name}-consumer") in kinds
        assert ("Service", name) in kinds and ("HorizontalPodAutoscaler", f"{name}-api") in kinds
        service = next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == name)
        assert service["spec"]["ports"][0]["port"] == DEFAULT_PORTS[name]
    config = {d["kind"]: d for d in k8s("config.yaml")}
    provided = set(config["ConfigMap"]["data"]) | set(config["Secret"]["stringData"]) | {"ESTATE_DATABASE_URL"}
    assert provided >= CONTRACT_ENV
    api = next(d for d in docs if d["metadata"]["name"] == "inventory-api")
    env = {e["name"] for e in api["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert "ESTATE_DATABASE_URL" in env


def test_kubernetes_topics_kafka_and_postgres() -> None:
    topics = {d["spec"]["topicName"]: d["spec"] for d in k8s("topics.yaml")}
    assert set(ALL_TOPIC_NAMES) == set(topics)
    assert all(spec["partitions"] >= 3 and spec["replicas"] == 3 for spec in topics.values())
    kinds = {d["kind"] for d in k8s("kafka.yaml")}
    assert {"Kafka", "KafkaNodePool"} <= kinds
    clusters = {d["metadata"]["name"] for d in k8s("postgres.yaml") if d["kind"] == "Cluster"}
    assert clusters == {f"estate-{s}-db" for s in SERVICES}


def test_alerts_cover_what_operators_need() -> None:
    names = {
        r["alert"]
        for g in yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())["groups"]
        for r in g["rules"]
    }
    assert names == {
        "OutboxStalled",
        "ConsumerLagHigh",
        "DeadLettersGrowing",
        "HoldSweeperStalled",
        "HighErrorRate",
        "ServiceDown",
        "WebhookEndpointFailing",
        "BoardBehind",
        "HoldGroupsFailing",
        "BrokerLost",
        "BrokerReplayStuck",
    }
    operations = (ROOT / "docs/operations.md").read_text()
    for name in names:
        assert f"### {name}" in operations


def test_dashboard_has_the_funnel_and_operations() -> None:
    used = dashboard_metric_names()
    assert "estate_funnel_events_total" in used
    assert {
        "estate_http_request_duration_seconds",
        "estate_consumer_lag",
        "estate_outbox_backlog",
        "estate_events_dead_lettered_total",
    } <= used


def test_dockerfile_is_one_non_root_image() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "USER 10001" in text and 'ENTRYPOINT ["estate"]' in text
