# One image for the four subgraphs; docker-compose.yml picks the subgraph with its command.
FROM python:3.11-slim
WORKDIR /app
# The pinned, hashed dependencies first (their layer outlives code changes), then the
# project itself without dependencies.
COPY requirements/runtime.lock ./requirements/
RUN pip install --no-cache-dir --require-hashes -r requirements/runtime.lock
COPY pyproject.toml README.md ./
COPY subgraphs ./subgraphs
RUN pip install --no-cache-dir --no-deps .
ENV TICKETFLOW_HOST=0.0.0.0
USER nobody
CMD ["ticketflow", "serve"]
