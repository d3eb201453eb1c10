# Runs a libFuzzer binary for a bounded time on a scratch copy of its corpus
# (the committed corpus is never modified by a test run).
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(COPY ${CORPUS}/ DESTINATION ${WORK})
execute_process(COMMAND ${FUZZER} -max_total_time=20 -rss_limit_mb=2048 -timeout=10
  -print_final_stats=1 ${WORK} RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
string(LENGTH "${err}" n)
if(rc)
  message(FATAL_ERROR "fuzzer failed (${rc}):\n${err}")
endif()
message(STATUS "fuzzer ok")
