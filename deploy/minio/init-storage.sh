#!/bin/sh
# One-shot (docker-compose.prod.yml, minio-init): the attachments bucket and one key per service.
# submission writes and reads attachments; ai-worker only reads them; content manages content/ (its media).
set -eu
mc alias set statex http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing statex/statex-attachments
mc anonymous set none statex/statex-attachments

policy() { # name actions prefix
  cat > "/tmp/$1.json" <<JSON
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[$2],"Resource":["arn:aws:s3:::statex-attachments/$3*"]},
 {"Effect":"Allow","Action":["s3:ListBucket","s3:GetBucketLocation"],"Resource":["arn:aws:s3:::statex-attachments"]}]}
JSON
  mc admin policy create statex "$1" "/tmp/$1.json" 2>/dev/null || true
}
policy statex-submission '"s3:GetObject","s3:PutObject","s3:DeleteObject"' ''
policy statex-ai-worker '"s3:GetObject"' ''
policy statex-content '"s3:GetObject","s3:PutObject","s3:DeleteObject"' 'content/'

user() { # access-key secret policy
  mc admin user add statex "$1" "$2"
  mc admin policy attach statex "$3" --user "$1" 2>/dev/null || true
}
user submission "$SUBMISSION_S3_SECRET" statex-submission
user ai-worker "$AI_WORKER_S3_SECRET" statex-ai-worker
user content "$CONTENT_S3_SECRET" statex-content
