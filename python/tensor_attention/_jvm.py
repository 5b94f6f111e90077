"""One JVM per Python process, in-process through JPype, found and started the way the launcher does."""

import glob
import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

_lock = threading.RLock()
_started = False

_PACKAGE = Path(__file__).resolve().parent
_BUNDLED_JAR = _PACKAGE / "lib" / "tensor-attention.jar"


def _checkout():
    """The repository root when the package runs from a source checkout (PYTHONPATH=python), else None."""
    root = _PACKAGE.parent.parent
    if (root / "pom.xml").is_file() and (root / "tensor-attention").is_file():
        return root
    return None


def _stale(root, jar):
    """As the launcher: the jar is missing, or a .java or pom.xml file is newer than it."""
    if not jar.is_file():
        return True
    built = jar.stat().st_mtime
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in ("target", ".git", "python", "node_modules")]
        for f in files:
            if (f.endswith(".java") or f == "pom.xml") and os.stat(os.path.join(folder, f)).st_mtime > built:
                return True
    return False


def build(root):
    """Builds the shaded jar with the launcher's command, saying so on stderr."""
    print("tensor_attention: building the Java library (first use or sources changed) ...", file=sys.stderr,
          flush=True)
    log = root / ".build.log"
    with open(log, "w") as out:
        status = subprocess.call(["mvn", "-B", "-q", "-DskipTests", "package"], cwd=root, stdout=out,
                                 stderr=subprocess.STDOUT)
    if status != 0:
        raise RuntimeError(f"tensor_attention: building the Java library failed, see {log}")


def find_jar():
    """TENSOR_ATTENTION_JAR, else the checkout's jar (built when missing or stale), else the bundled one."""
    env = os.environ.get("TENSOR_ATTENTION_JAR")
    if env:
        if not os.path.isfile(env):
            raise RuntimeError(f"tensor_attention: TENSOR_ATTENTION_JAR={env} is not a file")
        return Path(env)
    root = _checkout()
    if root is not None:
        jar = root / "cli" / "target" / "tensor-attention.jar"
        if _stale(root, jar):
            build(root)
        return jar
    if _BUNDLED_JAR.is_file():
        return _BUNDLED_JAR
    raise RuntimeError("tensor_attention: no tensor-attention.jar: install from a checkout (pip install ./python) "
                       "or set TENSOR_ATTENTION_JAR")


def _major(java_home):
    """The JDK's feature version, from its release file (cheap) or by asking the java binary."""
    release = Path(java_home) / "release"
    if release.is_file():
        m = re.search(r'^JAVA_VERSION="(\d+)', release.read_text(errors="replace"), re.M)
        if m:
            return int(m.group(1))
    try:
        text = subprocess.run([str(Path(java_home) / "bin" / "java"), "-XshowSettings:properties", "-version"],
                              capture_output=True, text=True, timeout=60).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"java\.specification\.version = (\d+)", text)
    return int(m.group(1)) if m else None


def _candidates():
    """The launcher's search order: TENSOR_ATTENTION_JAVA, JAVA_HOME, PATH, then the usual install folders."""
    javas = [os.environ.get("TENSOR_ATTENTION_JAVA"),
             os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else None]
    from shutil import which
    javas.append(which("java"))
    for pattern in ("/usr/lib/jvm/*/bin/java", os.path.expanduser("~/.jdks/*/bin/java"), "/opt/java/*/bin/java",
                    "/opt/*/bin/java"):
        javas.extend(sorted(glob.glob(pattern)))
    return [j for j in javas if j]


def find_jdk():
    """(java home, libjvm path) of the first JDK 21 or newer in the launcher's order."""
    for java in _candidates():
        if not os.access(java, os.X_OK):
            continue
        home = Path(os.path.realpath(java)).parent.parent
        libjvm = home / "lib" / "server" / "libjvm.so"
        if not libjvm.is_file():
            continue
        major = _major(home)
        if major is not None and major >= 21:
            return home, libjvm
    raise RuntimeError("tensor_attention: no JDK 21 or newer found (set JAVA_HOME or TENSOR_ATTENTION_JAVA)")


def _jpype_jar():
    """JPype's own Java half: next to the module in a pip install, under /usr/share/java in Debian's package."""
    import jpype
    for c in (Path(jpype.__file__).resolve().parent.parent / "org.jpype.jar", Path("/usr/share/java/org.jpype.jar")):
        if c.is_file():
            return str(c)
    return None


def _quiet_start(*args, **kwargs):
    """startJVM with the JVM's start-up notices (incubator module, native access) kept off stderr.

    The JVM writes them to file descriptor 2 directly, so Python's sys.stderr cannot filter them: fd 2 goes
    to a temporary file for the start and everything else in it is passed on."""
    import jpype
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            jpype.startJVM(*args, **kwargs)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            rest = [line for line in tmp.read().decode(errors="replace").splitlines(True)
                    if not line.startswith("WARNING: Using incubator modules")]
            sys.stderr.write("".join(rest))


def _jit_options(jar):
    """The launcher's JIT options (see its comment): C2 compiles the kernels' methods whole instead of each loop
    first, and the launcher's ahead-of-time cache, when it has made one for this jar, is used (the JVM ignores
    it, silently, if it does not match)."""
    options = ["-XX:Tier3BackEdgeThreshold=2000000", "-XX:Tier4BackEdgeThreshold=2000000"]
    aot = Path(jar).parent / ".launcher" / "jit.aot"
    if os.environ.get("TENSOR_ATTENTION_AOT", "1") != "0" and aot.is_file() and \
            aot.stat().st_mtime >= Path(jar).stat().st_mtime:
        options += [f"-XX:AOTCache={aot}", "-Xlog:aot=off"]
    return options


def start():
    """Starts the JVM once; later calls return at once."""
    global _started
    if _started:
        return
    import jpype
    import jpype.nio  # noqa: F401  (convertToDirectBuffer, used by _api)
    with _lock:
        if _started:
            return
        if jpype.isJVMStarted():
            # Someone else started it: usable only if our classes are on its class path.
            try:
                jpype.JClass("org.tensorattention.core.TensorAttention")
            except Exception:
                raise RuntimeError("tensor_attention: a JVM is already running in this process without "
                                   "tensor-attention.jar on its class path") from None
            _started = True
            return
        jar = find_jar()
        _, libjvm = find_jdk()
        classpath = [str(jar)]
        jp = _jpype_jar()
        if jp:
            classpath.append(jp)
        options = ["--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC"]
        options += _jit_options(jar)
        options += os.environ.get("TENSOR_ATTENTION_JVM_OPTS", "").split()
        _quiet_start(str(libjvm), *options, classpath=classpath, convertStrings=False)
        _started = True
