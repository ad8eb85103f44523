"""EMR Serverless entryPoint: `sparkSubmitParameters` ship the wistia_spark package with --py-files."""

import sys

from wistia_spark.job import main

if __name__ == "__main__":
    sys.exit(main())
