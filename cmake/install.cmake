# cmake --install: the FHS layout under CMAKE_INSTALL_PREFIX (/usr/local by
# default).  The daemons go to sbin (top CMakeLists.txt); here the rest:
#
#   share/postern/sql/         migrations and sql/migrate (migrate applies
#                              the files next to itself)
#   share/postern/demo.sql     the tutorial's demo data
#   share/postern/postern.conf.example
#   share/doc/postern/         deploy.md and the other docs
#   lib/systemd/system/        the units; lib/sysusers.d/postern.conf
#
# The example config is not put in /etc: an install must not overwrite a
# configured system, and /etc is outside the prefix.  docs/deploy.md says
# what to copy where.
# Every released migration ships: a pattern rather than a list, so that a
# new NNN_name.sql cannot be forgotten here (they are data, not sources).
install(DIRECTORY sql/ DESTINATION ${CMAKE_INSTALL_DATADIR}/postern/sql
	FILES_MATCHING PATTERN "[0-9][0-9][0-9]_*.sql")
install(PROGRAMS sql/migrate
	DESTINATION ${CMAKE_INSTALL_DATADIR}/postern/sql)
install(FILES deploy/demo.sql
	DESTINATION ${CMAKE_INSTALL_DATADIR}/postern)
install(FILES deploy/postern.conf.example
	DESTINATION ${CMAKE_INSTALL_DATADIR}/postern)
install(FILES README.md docs/deploy.md docs/design-notes.md docs/errors.md
	docs/auth.md docs/data-api.md docs/builder.md docs/SECURITY.md
	docs/openapi.md
	DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The units name /usr/local paths.  They are rewritten for the prefix at
# install time, not at configure time, so that "cmake --install --prefix"
# and DESTDIR are honoured too.
install(CODE "set(POSTERN_SRC \"${CMAKE_SOURCE_DIR}\")
set(POSTERN_SBINDIR \"${CMAKE_INSTALL_SBINDIR}\")
set(POSTERN_DATADIR \"${CMAKE_INSTALL_DATADIR}\")
set(POSTERN_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")")
install(CODE [==[
set(_p "${CMAKE_INSTALL_PREFIX}")
set(_dest "$ENV{DESTDIR}${_p}/lib/systemd/system")
file(MAKE_DIRECTORY "${_dest}")
foreach(_unit postern-authd.service postern-gateway.service
		postern-migrate.service)
	file(READ "${POSTERN_SRC}/deploy/systemd/${_unit}" _text)
	string(REPLACE "/usr/local/sbin" "${_p}/${POSTERN_SBINDIR}"
		_text "${_text}")
	string(REPLACE "/usr/local/share/doc/postern" "${_p}/${POSTERN_DOCDIR}"
		_text "${_text}")
	string(REPLACE "/usr/local/share/postern" "${_p}/${POSTERN_DATADIR}/postern"
		_text "${_text}")
	message(STATUS "Installing: ${_dest}/${_unit}")
	file(WRITE "${_dest}/${_unit}" "${_text}")
endforeach()
]==])
install(FILES deploy/systemd/postern.sysusers
	DESTINATION lib/sysusers.d RENAME postern.conf)
