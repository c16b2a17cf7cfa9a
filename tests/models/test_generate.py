"""`patchgate generate`: local documents parse; hosted answers are checked with lark and retried."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pytest_httpserver import HTTPServer

from agent.models.openai_model import OpenAIModel
from agent.models.retry import ModelSettings
from agent.writing.documents import generate_document
from core.errors import GateFailure

ROOT = Path(__file__).resolve().parents[2]
CHAT = "/v1/chat/completions"


def run_generate(cwd: Path, model: str, *args: str, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATCHGATE_MODEL": model, **env_vars}
    return subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "generate", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_local_generate_prints_a_manifest_that_parses(tiny_path: Path, tmp_path: Path) -> None:
    result = run_generate(
        tmp_path, f"hf:{tiny_path}", "--grammar", "kubernetes", "--seed", "4", "--max-tokens", "400", "a web deployment"
    )
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["kind"] in {"Deployment", "Service", "Job", "ConfigMap"}


def test_generate_needs_exactly_one_of_grammar_and_schema(tmp_path: Path) -> None:
    result = run_generate(tmp_path, "openai:m@http://127.0.0.1:9/v1", "x")
    assert result.returncode == 2 and "exactly one of --grammar NAME or --schema FILE" in result.stderr


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    srv = HTTPServer(host="127.0.0.1")
    srv.start()
    yield srv
    srv.clear()
    srv.stop()


def chat(text: str | None = None, tool_input: str | None = None) -> dict:
    message: dict = {"role": "assistant", "content": text}
    if tool_input is not None:
        message["tool_calls"] = [
            {"id": "t1", "type": "custom", "custom": {"name": "emit_document", "input": tool_input}}
        ]
    return {
        "id": "c",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
    }


def hosted(server: HTTPServer) -> OpenAIModel:
    return OpenAIModel("m", base_url=server.url_for("/v1"), settings=ModelSettings(max_retries=0))


def test_hosted_custom_tool_grammar_is_used_when_offered(server: HTTPServer) -> None:
    server.expect_request(CHAT, method="POST").respond_with_json(chat(tool_input='{"a": [1, 2]}'))
    doc = generate_document(hosted(server), "x", grammar="json")
    assert json.loads(doc.text) == {"a": [1, 2]} and doc.constrained
    tool = server.log[0][0].get_json()["tools"][0]["custom"]["format"]
    assert tool["type"] == "grammar" and tool["grammar"]["syntax"] == "lark"


def test_hosted_without_custom_tools_validates_and_retries(server: HTTPServer) -> None:
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(
        {"error": {"message": "custom tools are not supported"}}, status=400
    )
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(chat("name = [unclosed"))
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(chat('```toml\nname = "api"\n```'))
    doc = generate_document(hosted(server), "x", grammar="toml")
    assert doc.text == 'name = "api"\n' and doc.attempts == 2
    assert "does not parse" in server.log[2][0].get_json()["messages"][-1]["content"]


def test_hosted_never_valid_exits_1_with_a_clear_message(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request(CHAT, method="POST").respond_with_json(chat("apiVersion: [oops"))
    with pytest.raises(GateFailure, match="no valid document in 3 attempts"):
        generate_document(hosted(server), "x", grammar="yaml")
    result = run_generate(tmp_path, f"openai:m@{server.url_for('/v1')}", "--grammar", "yaml", "x")
    assert result.returncode == 1 and result.stderr.startswith("error: openai:m gave no valid document")


DIFFUSION = "a Deployment serving a diffusion model on one GPU"


def gpu_manifest_errors(text: str) -> list[str]:
    """What stands between a generated manifest and a GPU server the rules accept (empty when nothing)."""
    from agent.writing.documents import gate_error

    doc = yaml.safe_load(text)
    spec = doc["spec"]["template"]["spec"]
    resources = spec["containers"][0]["resources"]
    problems = [] if doc["kind"] == "Deployment" else [f"kind {doc['kind']}"]
    if resources["requests"].get("nvidia.com/gpu") != 1 or resources["limits"].get("nvidia.com/gpu") != 1:
        problems.append(f"GPU request/limit {resources}")
    if doc["spec"]["selector"]["matchLabels"] != doc["spec"]["template"]["metadata"]["labels"]:
        problems.append("selector")
    return problems + ([refused] if (refused := gate_error("manifest.yaml", text)) else [])


def test_local_generate_requests_the_gpu_the_instruction_asks_for(manifest_model_path: Path, tmp_path: Path) -> None:
    result = run_generate(
        tmp_path,
        f"hf:{manifest_model_path}",
        "--grammar",
        "kubernetes",
        "--seed",
        "0",
        "--json",
        DIFFUSION,
        OMP_NUM_THREADS="1",
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert gpu_manifest_errors(answer["text"]) == [] and answer["attempts"] == 1
    assert answer["ties"]["GPUS"] == "1" and f"app: {answer['ties']['APP']}" in answer["text"]


@pytest.fixture
def one_thread() -> Iterator[None]:
    """A tiny model decodes fastest on one torch thread (several fight over a shared machine's cores)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.slow
def test_local_gpu_manifests_pass_the_rules_over_seeds(manifest_model, one_thread) -> None:
    # benchmarks/bench_gpu_manifests.py runs the same over 100 seeds and prints the count
    texts = [
        generate_document(manifest_model, DIFFUSION, grammar="kubernetes", seed=seed, temperature=1.0).text
        for seed in range(1, 6)
    ]
    assert [gpu_manifest_errors(t) for t in texts] == [[]] * len(texts)
    assert len(set(texts)) == len(texts)  # sampled, not one document repeated


def test_local_generate_without_a_gpu_requests_none(manifest_model, one_thread) -> None:
    doc = yaml.safe_load(
        generate_document(
            manifest_model, "a Job that resizes images", grammar="kubernetes", seed=3, temperature=1.0
        ).text
    )
    assert doc["kind"] == "Job"
    assert "nvidia.com/gpu" not in doc["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]


GOOD_GPU = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: "diffusion"
spec:
  replicas: 1
  selector:
    matchLabels:
      app: "diffusion"
  template:
    metadata:
      labels:
        app: "diffusion"
    spec:
      containers:
      - name: "server"
        image: "ghcr.io/example/diffusion-server:1.4.0"
        resources:
          requests:
            cpu: "4000m"
            memory: "24Gi"
            nvidia.com/gpu: 1
          limits:
            memory: "24Gi"
            nvidia.com/gpu: 1
        readinessProbe:
          httpGet:
            path: "/ready"
            port: 8080
        livenessProbe:
          httpGet:
            path: "/health"
            port: 8080
        startupProbe:
          failureThreshold: 60
          periodSeconds: 10
          httpGet:
            path: "/health"
            port: 8080
      tolerations:
      - key: nvidia.com/gpu
        operator: Exists
        effect: NoSchedule
"""
STRAY = GOOD_GPU.replace('    matchLabels:\n      app: "diffusion"\n', '    matchLabels:\n      app: "diffusers"\n')


def test_hosted_manifest_refused_by_the_rules_is_repaired_once(server: HTTPServer) -> None:
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(chat(tool_input=STRAY))
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(chat(tool_input=GOOD_GPU))
    doc = generate_document(hosted(server), DIFFUSION, grammar="kubernetes")
    assert doc.text == GOOD_GPU and doc.attempts == 2 and doc.constrained
    repair = server.log[1][0].get_json()["messages"][-1]["content"]
    assert repair.startswith("The gate refuses that document: Deployment diffusion: spec.selector.matchLabels")


def test_hosted_manifest_refused_twice_fails_with_the_finding(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request(CHAT, method="POST").respond_with_json(chat(tool_input=STRAY))
    result = run_generate(tmp_path, f"openai:m@{server.url_for('/v1')}", "--grammar", "kubernetes", DIFFUSION)
    assert result.returncode == 1 and len(server.log) == 2
    assert result.stderr.startswith(
        "error: openai:m's document is still refused after one repair: Deployment "
        "diffusion: spec.selector.matchLabels {app: diffusers} does not select"
    )
