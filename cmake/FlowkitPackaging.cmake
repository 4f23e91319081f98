# What `cmake --install` puts next to the library so other projects can use it, and how
# `cpack -G DEB` packages the installed tree. Included at the end of the top-level CMakeLists,
# once reassembly/ has installed flowkit_reassembly into the export set flowkitTargets.
#
# Only flowkit::reassembly is exported. The tools' shared CLI code (flowkit::cli) is not: it is
# glue for flowkit's own executables (its header pulls in CLI11, its options change with the
# tools), not an interface we promise to keep.
include_guard(GLOBAL)
include(CMakePackageConfigHelpers)

set(FLOWKIT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/flowkit)

# --- CMake package: find_package(flowkit) -> flowkit::reassembly --------------------------------
install(EXPORT flowkitTargets NAMESPACE flowkit:: DESTINATION ${FLOWKIT_CMAKE_DIR}
        COMPONENT Development)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/flowkitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/flowkitConfig.cmake INSTALL_DESTINATION ${FLOWKIT_CMAKE_DIR})
# 0.x: a minor release may break the API, so only the same major.minor is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/flowkitConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/flowkitConfig.cmake ${PROJECT_BINARY_DIR}/flowkitConfigVersion.cmake
        DESTINATION ${FLOWKIT_CMAKE_DIR} COMPONENT Development)

# --- pkg-config: flowkit.pc -----------------------------------------------------------------------
# The prefix is found from the .pc file's own place, so the tree stays usable wherever it is
# installed (cmake --install --prefix, DESTDIR, a .deb).
set(FLOWKIT_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(FLOWKIT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH FLOWKIT_PC_TO_PREFIX /prefix/${FLOWKIT_PC_DIR} /prefix)
  string(REGEX REPLACE "/$" "" FLOWKIT_PC_TO_PREFIX "${FLOWKIT_PC_TO_PREFIX}")
  set(FLOWKIT_PC_PREFIX "\${pcfiledir}/${FLOWKIT_PC_TO_PREFIX}")
endif()
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(FLOWKIT_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(FLOWKIT_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
# A static library needs its dependencies on the link line of every program (Requires); a shared
# one only for static linking (Requires.private).
get_target_property(FLOWKIT_LIBRARY_TYPE flowkit_reassembly TYPE)
if(FLOWKIT_LIBRARY_TYPE STREQUAL "STATIC_LIBRARY")
  set(FLOWKIT_PC_REQUIRES_FIELD "Requires")
else()
  set(FLOWKIT_PC_REQUIRES_FIELD "Requires.private")
endif()
get_target_property(FLOWKIT_LIBRARY_NAME flowkit_reassembly OUTPUT_NAME)
if(NOT FLOWKIT_LIBRARY_NAME)
  set(FLOWKIT_LIBRARY_NAME flowkit_reassembly)
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/flowkit.pc.in ${PROJECT_BINARY_DIR}/flowkit.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/flowkit.pc DESTINATION ${FLOWKIT_PC_DIR} COMPONENT Development)

# --- Debian package: cpack -G DEB ---------------------------------------------------------------
# Two packages, as Debian splits them: flowkit (the tools, their man pages and completions) and
# libflowkit-dev (library, headers, CMake and pkg-config files).
set(CPACK_PACKAGE_NAME flowkit)
set(CPACK_PACKAGE_VENDOR "flowkit")
set(FLOWKIT_DEB_MAINTAINER "flowkit developers <flowkit@localhost>" CACHE STRING
    "Maintainer field of the Debian packages (cpack -G DEB)")
set(CPACK_PACKAGE_CONTACT "${FLOWKIT_DEB_MAINTAINER}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL Runtime Development)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Runtime: the libraries the tools link come from dpkg-shlibdeps.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME flowkit)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION net)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SUGGESTS "graphviz, bash-completion")
# The first line of a description is the package's synopsis (CPACK_PACKAGE_DESCRIPTION_SUMMARY
# would be put in front of both, so it stays unset).
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "stream-level network inspection tools
flowgrep matches regular expressions against reassembled TCP streams and
logs or resets the connections that match; versiondetect makes a passive
inventory of network software from protocol banners; httpgraph draws the
browsing graph of HTTP traffic and writes request logs.")
# Development: a static library, so its users need what it links (and Boost's headers).
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME libflowkit-dev)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS "libpcap-dev, libfmt-dev, libboost-dev (>= 1.74)")
set(CPACK_COMPONENT_DEVELOPMENT_DESCRIPTION "TCP stream reassembly library (development files)
flowkit decodes captured packets (live, pcap, pcapng), reassembles IPv4 and
IPv6 fragments and TCP streams, and calls a handler with connection events.
This package has the static library, its headers, the CMake package
(find_package(flowkit) gives flowkit::reassembly) and flowkit.pc.")
include(CPack)
