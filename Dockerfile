# One image for the four subgraphs; docker-compose.yml picks the subgraph with its command.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY subgraphs ./subgraphs
RUN pip install --no-cache-dir .
ENV TICKETFLOW_HOST=0.0.0.0
USER nobody
CMD ["ticketflow", "serve"]
