@echo off
rem Launcher of the zephyr command-line program on Windows.
rem The install folder is the parent of the folder holding this script; every jar in its lib\ goes on the class path.
rem Environment: JAVA_HOME selects the Java runtime (else java on the PATH); JAVA_OPTS adds JVM options.
rem Written with goto rather than ( ) blocks so that a JAVA_HOME such as "C:\Program Files (x86)\..." cannot break it.
setlocal
set "ZEPHYR_HOME=%~dp0.."
set "JAVA_EXE=java"
if not defined JAVA_HOME goto run
set "JAVA_EXE=%JAVA_HOME%\bin\java.exe"
if exist "%JAVA_EXE%" goto run
echo zephyr: JAVA_HOME is set to "%JAVA_HOME%" but "%JAVA_EXE%" does not exist; point JAVA_HOME at a JDK or JRE 17 or newer 1>&2
exit /b 1

:run
"%JAVA_EXE%" %JAVA_OPTS% -cp "%ZEPHYR_HOME%\lib\*" dev.zephyr.cli.ZephyrCli %*
exit /b %ERRORLEVEL%
