# Install rules and the Debian packages (`make package`).
#
# Three packages, not one: a bot host needs only the agent (no RocksDB, no
# collector, no CLI), the collector host the collector and the CLI, an
# operator's laptop the CLI alone. Each package carries its own unit, config
# (a conffile), man page and doc folder; the CLI's carries the bash completion.
include(GNUInstallDirs)

set(ROLLGUARD_DEBIAN_DIR ${PROJECT_SOURCE_DIR}/deploy/debian)
set(ROLLGUARD_GENERATED ${CMAKE_BINARY_DIR}/package-files)
set(ROLLGUARD_UNIT_DIR /lib/systemd/system)  # Debian 12's place for packaged units
# Fixed, whatever the prefix: the conffiles list and the daemons' default
# config path (common/default_config.h) name /etc/rollguard.
set(ROLLGUARD_SYSCONF /etc/rollguard)

# Man pages from --help (help2man), the completion script from the CLI's own
# definitions, the changelog: all built from the programs, compressed as
# Debian wants (gzip -9n: no name or time stamp, reproducible).
find_program(HELP2MAN help2man)
find_program(GZIP gzip REQUIRED)
file(MAKE_DIRECTORY ${ROLLGUARD_GENERATED})
set(generated_files)

function(rollguard_man_page target section summary)
  set(out ${ROLLGUARD_GENERATED}/${target}.${section}.gz)
  add_custom_command(OUTPUT ${out}
    COMMAND ${HELP2MAN} --no-info --section=${section} --name=${summary}
            --version-string=${PROJECT_VERSION} --output=${ROLLGUARD_GENERATED}/${target}.${section}
            $<TARGET_FILE:${target}>
    COMMAND ${GZIP} -9nf ${ROLLGUARD_GENERATED}/${target}.${section}
    DEPENDS ${target}
    COMMENT "help2man: ${target}.${section}"
    VERBATIM)
  set(generated_files ${generated_files} ${out} PARENT_SCOPE)
endfunction()

if(HELP2MAN)
  rollguard_man_page(rollguard 1 "the rollguard fleet's command line")
  rollguard_man_page(rollguard-collector 8 "rollguard's collector: history, alerts, rollbacks")
  rollguard_man_page(rollguard-agent 8 "rollguard's agent: samples a bot host, runs its playbooks")
endif()

add_custom_command(OUTPUT ${ROLLGUARD_GENERATED}/rollguard.bash-completion
  COMMAND $<TARGET_FILE:rollguard> completion bash > ${ROLLGUARD_GENERATED}/rollguard.bash-completion
  DEPENDS rollguard
  VERBATIM)
list(APPEND generated_files ${ROLLGUARD_GENERATED}/rollguard.bash-completion)

configure_file(${ROLLGUARD_DEBIAN_DIR}/changelog.in ${ROLLGUARD_GENERATED}/changelog @ONLY)
add_custom_command(OUTPUT ${ROLLGUARD_GENERATED}/changelog.gz
  COMMAND ${GZIP} -9nkf ${ROLLGUARD_GENERATED}/changelog
  DEPENDS ${ROLLGUARD_DEBIAN_DIR}/changelog.in
  VERBATIM)
list(APPEND generated_files ${ROLLGUARD_GENERATED}/changelog.gz)

add_custom_target(rollguard_package_files ALL DEPENDS ${generated_files})

# --- what goes where -------------------------------------------------------
set(doc_files ${ROLLGUARD_DEBIAN_DIR}/copyright ${ROLLGUARD_GENERATED}/changelog.gz)

# The CLI: package "rollguard".
install(TARGETS rollguard RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)
install(FILES ${ROLLGUARD_GENERATED}/rollguard.bash-completion
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME rollguard COMPONENT cli)
install(FILES ${doc_files} ${PROJECT_SOURCE_DIR}/README.md
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/rollguard COMPONENT cli)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/rollguard/docs COMPONENT cli)

# The collector.
install(TARGETS rollguard-collector RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT collector)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/rollguard-collector.service
  DESTINATION ${ROLLGUARD_UNIT_DIR} COMPONENT collector)
# 0640: receivers' URLs and SMTP passwords are secrets; postinst gives the
# rollguard group read access.
install(FILES ${PROJECT_SOURCE_DIR}/deploy/config/collector.yaml
              ${PROJECT_SOURCE_DIR}/deploy/config/rules.yaml
  DESTINATION ${ROLLGUARD_SYSCONF} COMPONENT collector
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${ROLLGUARD_DEBIAN_DIR}/sysusers.d/rollguard.conf
  DESTINATION lib/sysusers.d COMPONENT collector)
install(FILES ${doc_files} ${ROLLGUARD_DEBIAN_DIR}/README.Debian
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/rollguard-collector COMPONENT collector)
install(FILES ${ROLLGUARD_DEBIAN_DIR}/collector/lintian-overrides
  DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME rollguard-collector
  COMPONENT collector)

# The agent.
install(TARGETS rollguard-agent RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT agent)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/rollguard-agent.service
  DESTINATION ${ROLLGUARD_UNIT_DIR} COMPONENT agent)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/config/agent.yaml
  DESTINATION ${ROLLGUARD_SYSCONF} COMPONENT agent)
install(FILES ${ROLLGUARD_DEBIAN_DIR}/sysusers.d/rollguard-agent.conf
  DESTINATION lib/sysusers.d COMPONENT agent)
install(FILES ${doc_files} ${ROLLGUARD_DEBIAN_DIR}/README.Debian
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/rollguard-agent COMPONENT agent)

if(HELP2MAN)
  install(FILES ${ROLLGUARD_GENERATED}/rollguard.1.gz
    DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT cli)
  install(FILES ${ROLLGUARD_GENERATED}/rollguard-collector.8.gz
    DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT collector)
  install(FILES ${ROLLGUARD_GENERATED}/rollguard-agent.8.gz
    DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT agent)
endif()

# --- the .deb files --------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME rollguard)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "rollguard maintainers <maintainers@users.noreply.r-seed-07bc799c.example>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL cli collector agent)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # NAME_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)

set(CPACK_DEBIAN_CLI_PACKAGE_NAME rollguard)
set(CPACK_COMPONENT_CLI_DESCRIPTION
  "command line for a rollguard fleet of bot hosts\nrollguard shows a fleet's hosts, history, alerts and incidents, mutes\nalerts, and starts, follows, verifies, rehearses and undoes rollbacks\nthrough a rollguard collector.")

set(CPACK_DEBIAN_COLLECTOR_PACKAGE_NAME rollguard-collector)
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_RECOMMENDS "rollguard")
set(CPACK_COMPONENT_COLLECTOR_DESCRIPTION
  "collector of a rollguard fleet: history, alerts, automatic rollbacks\nThe collector receives every agent's samples, keeps their history in\nRocksDB, evaluates alert rules, notifies (Discord, Slack, Alertmanager,\nemail) and dispatches rollback playbooks to agents with guardrails.")
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_CONTROL_EXTRA
  ${ROLLGUARD_DEBIAN_DIR}/collector/conffiles ${ROLLGUARD_DEBIAN_DIR}/collector/postinst
  ${ROLLGUARD_DEBIAN_DIR}/collector/prerm ${ROLLGUARD_DEBIAN_DIR}/collector/postrm)

set(CPACK_DEBIAN_AGENT_PACKAGE_NAME rollguard-agent)
set(CPACK_DEBIAN_AGENT_PACKAGE_DEPENDS "systemd")
set(CPACK_COMPONENT_AGENT_DESCRIPTION
  "agent of a rollguard fleet: watches a bot host, runs local playbooks\nThe agent samples the host and the bot process, probes upstream APIs,\nreceives the bot's StatsD metrics, streams them to the rollguard\ncollector, and runs rollback playbooks defined in its own local config.")
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_EXTRA
  ${ROLLGUARD_DEBIAN_DIR}/agent/conffiles ${ROLLGUARD_DEBIAN_DIR}/agent/postinst
  ${ROLLGUARD_DEBIAN_DIR}/agent/prerm ${ROLLGUARD_DEBIAN_DIR}/agent/postrm)

include(CPack)
